package supervisor

import (
	"time"

	"github.com/tend-pm/tend/internal/cgroup"
	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/metrics"
	"github.com/tend-pm/tend/internal/ptable"
)

// sampleEvery is how often process trees are measured while anyone looks
// (a list or a show in the last lookWindow: a dashboard polling each
// second keeps it fast), or while a run has no cgroup
// (walking its tree teaches each process its descendants, so that one
// later reparented is still found when stopping); sampleIdle otherwise.
// An idle daemon with 50 apps spent 0.32 s of CPU a minute sampling
// every 2 s; with 1,000 apps a pass costs about 70 ms, so every 30 s was
// still 0.14 s a minute, and the first look after a quiet minute shows
// CPU use averaged over that minute.
const (
	sampleEvery = 2 * time.Second
	sampleIdle  = time.Minute
	lookWindow  = 10 * time.Second
)

type usageSample struct {
	at  time.Time
	u   metrics.Usage
	cpu float64 // percent of one core since the previous sample
}

// looked notes that a client read usage: the sampler goes back to
// sampleEvery at once.
func (s *Supervisor) looked() {
	s.lastLook.Store(time.Now().UnixNano())
	select {
	case s.lookC <- struct{}{}:
	default:
	}
}

// sampleLoop measures every running tree, each sampleEvery or
// sampleIdle.
func (s *Supervisor) sampleLoop() {
	defer crash.Guard(s.log, "sampler")
	defer s.wg.Done()
	t := time.NewTimer(sampleEvery)
	defer t.Stop()
	for {
		fallback := s.sample()
		every := sampleIdle
		if fallback || time.Since(time.Unix(0, s.lastLook.Load())) < lookWindow {
			every = sampleEvery
		}
		t.Reset(every)
		for waiting := true; waiting; {
			select {
			case <-t.C:
				waiting = false
			case <-s.lookC:
				// Idle: measure now, then every sampleEvery.
				waiting = every != sampleIdle
			case <-s.quit:
				return
			}
		}
	}
}

// sample measures every running tree and says whether one has no cgroup.
// A run with a cgroup is measured from it (its members, CPU, and memory
// where the group has the controller, else its members' RSS), so the
// system's whole process table is read only for runs without one.
func (s *Supervisor) sample() (fallback bool) {
	var tab ptable.Table
	now := time.Now()
	for _, in := range s.allInstances() {
		r := in.live.Load()
		if r == nil {
			continue
		}
		p := r.p
		var cur usageSample
		if g := p.Group; g != nil {
			cur = usageSample{at: now, u: groupUsage(g)}
		} else {
			fallback = true
			if !tab.Valid() {
				var err error
				if tab, err = ptable.Snapshot(); err != nil {
					s.log.Warn("sample processes", "err", err)
					return fallback
				}
			}
			cur = usageSample{at: now, u: metrics.Sum(tab, p.Members(tab))}
		}
		if prev := in.usage.Load(); prev != nil {
			cur.cpu = metrics.Percent(prev.u, cur.u, now.Sub(prev.at))
		}
		in.usage.Store(&cur)
	}
	return fallback
}

// groupUsage is a cgroup's usage. The group counts the CPU of every
// process it ever held, ended ones too.
func groupUsage(g *cgroup.Group) metrics.Usage {
	pids, _ := g.Procs()
	var u metrics.Usage
	mem, memErr := g.Memory()
	user, sys, cpuErr := g.CPU()
	if memErr == nil && cpuErr == nil {
		// The group says both: no member need be read (a cgroup lists
		// no zombie, its members are its live processes).
		return metrics.Usage{Procs: len(pids), RSS: mem, CPU: user + sys}
	}
	for _, pid := range pids {
		e, err := ptable.Read(pid)
		if err != nil || e.State == 'Z' {
			continue
		}
		u.Procs++
		u.RSS += e.RSS
		u.CPU += e.CPU
	}
	if memErr == nil {
		u.RSS = mem
	}
	if cpuErr == nil {
		u.CPU = user + sys
	}
	return u
}
