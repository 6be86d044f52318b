package supervisor

import (
	"time"

	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/metrics"
	"github.com/tend-pm/tend/internal/ptable"
)

// sampleEvery is how often process trees are measured.
const sampleEvery = 2 * time.Second

type usageSample struct {
	at  time.Time
	u   metrics.Usage
	cpu float64 // percent of one core since the previous sample
}

// sampleLoop measures every running tree each sampleEvery. Walking the
// trees also teaches each process its descendants, so one that is later
// reparented is still found when stopping.
func (s *Supervisor) sampleLoop() {
	defer crash.Guard(s.log, "sampler")
	defer s.wg.Done()
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-t.C:
		case <-s.quit:
			return
		}
	}
}

func (s *Supervisor) sample() {
	tab, err := ptable.Snapshot()
	if err != nil {
		s.log.Warn("sample processes", "err", err)
		return
	}
	now := time.Now()
	for _, in := range s.allInstances() {
		p := in.process.Load()
		if p == nil {
			continue
		}
		cur := usageSample{at: now, u: metrics.Sum(tab, p.Members(tab))}
		if g := p.Group; g != nil {
			// The group counts the CPU of every process it ever held,
			// ended ones too, and its memory where it has a controller.
			if user, sys, err := g.CPU(); err == nil {
				cur.u.CPU = user + sys
			}
			if mem, err := g.Memory(); err == nil {
				cur.u.RSS = mem
			}
		}
		if prev := in.usage.Load(); prev != nil {
			cur.cpu = metrics.Percent(prev.u, cur.u, now.Sub(prev.at))
		}
		in.usage.Store(&cur)
	}
}
