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
	// PeakRSS is the run's highest tree RSS, from its samples.
	PeakRSS uint64
	// CPUTotal is the CPU time of every run of the instance, the current
	// one's as last measured: a counter that never goes back.
	CPUTotal time.Duration
	// LogLines are the output lines read (stdout, stderr); IPCIn and
	// IPCOut the channel's messages from the app and to it (tend send).
	LogLines      [2]int64
	IPCIn, IPCOut int64
	// NextRun and LastRun, for an instance of a job: its schedule's next
	// time (zero while the job is stopped) and this instance's last run.
	NextRun time.Time
	LastRun *spec.JobRun
}

// AppView is an app with its instances.
type AppView struct {
	Record    spec.Record
	Instances []View
	Runs      []spec.JobRun // a job's history, oldest first (Get only)
}

// withJob adds the job's schedule and history to the views of its
// instances, and returns its history.
func (s *Supervisor) withJob(rec spec.Record, vs []View) []spec.JobRun {
	if !rec.App.IsJob() {
		return nil
	}
	j, ok := s.Job(rec.App.Name)
	if !ok {
		return nil
	}
	for i := range vs {
		if rec.Wants(vs[i].Instance) {
			vs[i].NextRun = j.Next
		}
		for k := len(j.Runs) - 1; k >= 0; k-- {
			if j.Runs[k].Instance == vs[i].Instance {
				vs[i].LastRun = &j.Runs[k]
				break
			}
		}
	}
	return j.Runs
}

func (in *instance) view() View {
	v := View{Snapshot: *in.snap.Load()}
	v.LogLines = [2]int64{in.lines[0].Load(), in.lines[1].Load()}
	v.IPCIn, v.IPCOut = in.ipcIn.Load(), in.ipcOut.Load()
	if w := in.writers.Load(); w != nil {
		v.LostLogs = w[0].Lost() + w[1].Lost()
	}
	if u := in.usage.Load(); u != nil {
		v.CPUTotal = u.spent
		if v.Pid != 0 && u.r != nil && u.r == in.live.Load() {
			v.CPU, v.Usage, v.PeakRSS = u.cpu, u.u, u.peak
			v.CPUTotal += u.u.CPU()
		}
	}
	return v
}

// List returns every app with its instances, oldest app first. A running
// instance not measured yet (just started) is measured now, so `ls` never
// shows a live process without its memory.
func (s *Supervisor) List() []AppView {
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
		s.withJob(out[i].Record, out[i].Instances)
	}
	return out
}

// Get returns one app by name.
func (s *Supervisor) Get(name string) (AppView, error) {
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
	v.Runs = s.withJob(v.Record, v.Instances)
	return v, nil
}

// UsageHistory is an instance's last seconds of usage.
type UsageHistory struct {
	App      string
	Instance int
	Start    int64 // the unix second of Samples[0]
	Samples  []metrics.Sample
	Bytes    int // what its ring takes now
}

// UsageHistory returns the last secs seconds up to now of each instance
// of the app name, or of every app for "" (a dashboard's one call).
func (s *Supervisor) UsageHistory(name string, secs int, now time.Time) ([]UsageHistory, error) {
	var ins []*instance
	if name == "" {
		ins = s.allInstances()
	} else {
		s.mu.Lock()
		ts, err := s.resolveLocked(name)
		if err == nil {
			ins = ts[0].ins
		}
		s.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	out := make([]UsageHistory, 0, len(ins))
	for _, in := range ins {
		start, w := in.series.Window(now, secs)
		out = append(out, UsageHistory{App: in.name, Instance: in.id, Start: start, Samples: w, Bytes: in.series.Bytes()})
	}
	return out, nil
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
