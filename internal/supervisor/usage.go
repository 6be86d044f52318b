package supervisor

import (
	"time"

	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/metrics"
	"github.com/tend-pm/tend/internal/ptable"
)

// sampleEvery is how often every running tree is measured: each second,
// so that each instance's history (metrics.Series) holds its last hour a
// second at a time, whether or not anyone looks. What it costs is kept
// small by reading kept-open files (reread): a cgroup's cgroup.procs and
// cpu.stat, each member's /proc/PID/stat, and a stat of its fd directory.
// docs/benchmarks.md has the daemon's idle CPU with it.
const sampleEvery = time.Second

// usageSample is one measurement of a run's tree, or, after a run ended
// (r nil, ended set), the instance's account without one.
type usageSample struct {
	r    *run // the run it measured: a sample outlives its run by a moment
	at   time.Time
	u    metrics.Usage
	cpu  float64 // percent of one core since the previous sample
	peak uint64  // the highest RSS of the run so far
	// spent is the CPU of the instance's runs that ended before r: with
	// r's, a counter that never goes back. One pointer holds both, so a
	// reader never sees a run counted twice or not at all at its end.
	spent time.Duration
	ended *run
	// full is when the tree was last read whole (see unchanged).
	full time.Time
}

// fullEvery bounds how long a tree that has not run is carried over
// from its last whole reading (see unchanged).
const fullEvery = 10 * time.Second

// unchanged returns the next sample of a run with a cgroup whose tree has
// not run since prev: its cgroup's CPU account has not moved, so none of
// its processes executed, and without executing a process cannot fork,
// exec, open or close a file, start a thread or touch new memory. One
// pread of cpu.stat then stands for the four a member costs; the tree is
// read whole again at least every fullEvery (the kernel may reclaim an
// idle process's pages meanwhile, which only lowers its RSS).
func (r *run) unchanged(prev *usageSample, now time.Time) (*usageSample, bool) {
	g := r.p.Group
	if g == nil || prev == nil || prev.r != r || prev.ended != nil || now.Sub(prev.full) >= fullEvery {
		return nil, false
	}
	user, sys, err := g.CPU()
	if err != nil || user != prev.u.User || sys != prev.u.System {
		return nil, false
	}
	next := *prev
	next.at, next.cpu = now, 0
	return &next, true
}

// sampleLoop measures every running tree at each second.
func (s *Supervisor) sampleLoop() {
	defer crash.Guard(s.log, "sampler")
	defer s.wg.Done()
	t := time.NewTimer(untilNextSecond(time.Now()))
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-s.quit:
			return
		}
		s.sample()
		s.syncPoolCounts()
		t.Reset(untilNextSecond(time.Now()))
	}
}

// untilNextSecond is the wait until a little after the next whole second:
// one sample falls in each second of the history, not two in one and
// none in the next.
func untilNextSecond(now time.Time) time.Duration {
	return now.Truncate(sampleEvery).Add(sampleEvery + 20*time.Millisecond).Sub(now)
}

// sample measures every running tree; only runs without a cgroup read the
// system's whole process table.
func (s *Supervisor) sample() {
	s.sampleMu.Lock()
	defer s.sampleMu.Unlock()
	var tab ptable.Table
	now := time.Now()
	s.sampleBuf = s.appendInstances(s.sampleBuf[:0])
	defer clear(s.sampleBuf) // hold no instance until the next pass
	for _, in := range s.sampleBuf {
		r := in.live.Load()
		if r == nil {
			in.series.Trim(now)
			continue
		}
		prev := in.usage.Load()
		if still, ok := r.unchanged(prev, now); ok {
			if in.usage.CompareAndSwap(prev, still) {
				in.series.Add(now, 0, still.u.RSS, still.u.FDs)
			}
			continue
		}
		u, err := r.measure(&tab)
		if err != nil {
			s.log.Warn("sample processes", "err", err)
			return
		}
		prev = in.usage.Load()
		if prev != nil && prev.ended == r {
			continue // it ended while measured: its account is closed
		}
		cur := usageSample{r: r, at: now, full: now, u: u, peak: u.RSS}
		if prev != nil {
			cur.spent = prev.spent
		}
		if prev != nil && prev.r == r {
			// CPU never goes back within a run: a member that just ended
			// is in no account until its parent reaps it.
			cur.u.User, cur.u.System = max(cur.u.User, prev.u.User), max(cur.u.System, prev.u.System)
			cur.cpu = metrics.Percent(prev.u, cur.u, now.Sub(prev.at))
			cur.peak = max(cur.peak, prev.peak)
		}
		if !in.usage.CompareAndSwap(prev, &cur) {
			continue // the run ended meanwhile
		}
		in.series.Add(now, cur.cpu, cur.u.RSS, cur.u.FDs)
	}
}

// measure reads r's tree now. A run with a cgroup is measured from it
// (its members, and its CPU, which counts every process it ever held; its
// memory where the group has the controller, else the members' RSS); one
// without is found in the process table (read into tab once for all),
// and its ended members' CPU is what the daemon's reaper saw of them.
func (r *run) measure(tab *ptable.Table) (metrics.Usage, error) {
	if g := r.p.Group; g != nil {
		pids, _ := g.Procs()
		u := r.meter.Measure(pids)
		if user, sys, err := g.CPU(); err == nil {
			u.User, u.System = user, sys
		}
		if mem, err := g.Memory(); err == nil {
			u.RSS = mem
		}
		return u, nil
	}
	if !tab.Valid() {
		t, err := ptable.Snapshot()
		if err != nil {
			return metrics.Usage{}, err
		}
		*tab = t
	}
	u := r.meter.Measure(r.p.Members(*tab))
	ended := r.p.EndedCPU()
	u.User += ended.User
	u.System += ended.System
	return u, nil
}

// endUsage is the run's last account, taken once its tree is gone and
// before its cgroup is removed: what it used in all, added to the
// instance's spent CPU.
func (in *instance) endUsage(r *run) {
	var tab ptable.Table
	u, err := r.measure(&tab)
	if err != nil {
		u = metrics.Usage{}
	}
	end := &usageSample{ended: r, at: time.Now()}
	for {
		prev := in.usage.Load()
		cpu := u.CPU()
		if prev != nil {
			end.spent = prev.spent
			if prev.r == r {
				cpu = max(cpu, prev.u.CPU())
			}
		}
		end.spent += cpu
		if in.usage.CompareAndSwap(prev, end) {
			break
		}
		end.spent = 0 // the sampler stored one meanwhile: count again
	}
	r.meter.Close()
}
