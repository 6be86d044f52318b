package supervisor

import (
	"fmt"
	"strings"
	"time"

	"github.com/tend-pm/tend/internal/metrics"
	"github.com/tend-pm/tend/internal/spec"
)

// View is an instance with its latest measurements.
type View struct {
	Snapshot
	Limits string  // the run's limits and their use (Get only)
	CPU    float64 // percent of one core
	Usage  metrics.Usage
}

// AppView is an app with its instances.
type AppView struct {
	Record    spec.Record
	Instances []View
}

func (in *instance) view() View {
	v := View{Snapshot: *in.snap.Load()}
	if w := in.writers.Load(); w != nil {
		v.LostLogs = w[0].Lost() + w[1].Lost()
	}
	if u := in.usage.Load(); u != nil && v.Pid != 0 {
		v.CPU, v.Usage = u.cpu, u.u
	}
	return v
}

// List returns every app with its instances, oldest app first. A running
// instance not measured yet (just started) is measured now, so `ls` never
// shows a live process without its memory.
func (s *Supervisor) List() []AppView {
	s.looked()
	out := s.list()
	for _, a := range out {
		for _, v := range a.Instances {
			if v.Pid != 0 && v.Usage.Procs == 0 {
				s.sample()
				return s.list()
			}
		}
	}
	return out
}

func (s *Supervisor) list() []AppView {
	s.mu.Lock()
	apps := s.sortedApps()
	out := make([]AppView, len(apps))
	ins := make([][]*instance, len(apps))
	for i, a := range apps {
		out[i].Record = a.rec
		ins[i] = a.instances
	}
	s.mu.Unlock()
	for i := range out {
		for _, in := range ins[i] {
			out[i].Instances = append(out[i].Instances, in.view())
		}
	}
	return out
}

// Get returns one app by name.
func (s *Supervisor) Get(name string) (AppView, error) {
	s.looked()
	if name == "all" {
		return AppView{}, fmt.Errorf("%w %q: name one app; `tend ls` lists them all", ErrUnknownApp, name)
	}
	s.mu.Lock()
	ts, err := s.resolveLocked(name)
	if err != nil {
		s.mu.Unlock()
		return AppView{}, err
	}
	v := AppView{Record: ts[0].app.rec}
	ins := ts[0].ins
	s.mu.Unlock()
	for _, in := range ins {
		iv := in.view()
		iv.Limits = in.limitsText()
		v.Instances = append(v.Instances, iv)
	}
	return v, nil
}

// limitsText is the current run's limits with their use, for show:
// "memory_max 64M (now 12MB), pids_max 20 (now 3); memory by cgroup v1 …".
func (in *instance) limitsText() string {
	r := in.live.Load()
	if r == nil || r.limits == nil {
		return ""
	}
	mem, pids := r.limits.Use()
	a := &r.limitApp
	var parts []string
	if a.MemoryMax > 0 {
		parts = append(parts, fmt.Sprintf("memory_max %s (now %s)", a.MemoryMax, megabytes(mem)))
	}
	if a.MemoryHigh > 0 {
		parts = append(parts, fmt.Sprintf("memory_high %s", a.MemoryHigh))
	}
	if a.CPUQuota != "" {
		parts = append(parts, "cpu_quota "+a.CPUQuota)
	}
	if a.CPUWeight > 0 {
		parts = append(parts, fmt.Sprintf("cpu_weight %d", a.CPUWeight))
	}
	if a.PidsMax > 0 {
		parts = append(parts, fmt.Sprintf("pids_max %d (now %d)", a.PidsMax, pids))
	}
	return strings.Join(parts, ", ") + "; " + r.limitsHow
}

// Uptime is how long the current run has lasted at now.
func (v View) Uptime(now time.Time) time.Duration {
	if v.Pid == 0 || v.Started.IsZero() {
		return 0
	}
	return now.Sub(v.Started)
}
