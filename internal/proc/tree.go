package proc

import (
	"errors"
	"slices"
	"syscall"

	"github.com/tend-pm/tend/internal/ptable"
)

// Members returns the live processes of p's tree in t: p itself while it
// runs, every process of its group, every descendant, and every process
// once seen as a descendant that still lives (one that called setsid and
// was reparented keeps being found). Zombies are left out.
//
// Walking from p.Pid is safe only while p is unreaped; a process group id,
// in contrast, is never handed out as a new pid while the group has
// members, so the group is safe to read at any time.
func (p *Process) Members(t ptable.Table) []int {
	if p.Group != nil {
		pids, _ := p.Group.Procs()
		return pids
	}
	set := map[int]bool{}
	live := func(pid int) bool { e, ok := t.Get(pid); return ok && e.State != 'Z' }
	select {
	case <-p.done:
	default:
		if live(p.Pid) {
			set[p.Pid] = true
		}
		for _, d := range t.Descendants(p.Pid) {
			set[d] = true
		}
	}
	for _, g := range t.Group(p.Pid) {
		set[g] = live(g)
	}
	p.mu.Lock()
	for pid, start := range p.known {
		if e, ok := t.Get(pid); ok && e.Start == start && e.State != 'Z' {
			set[pid] = true
		} else {
			delete(p.known, pid)
		}
	}
	for pid, ok := range set {
		if ok && pid != p.Pid {
			e, _ := t.Get(pid)
			p.known[pid] = e.Start
		}
	}
	p.mu.Unlock()
	var out []int
	for pid, ok := range set {
		if ok {
			out = append(out, pid)
		}
	}
	slices.Sort(out)
	return out
}

// Signal sends sig to p's process group and to every other live member of
// its tree, and returns how many processes it reached. A tree with no live
// member returns 0 and no error.
func (p *Process) Signal(sig syscall.Signal) (int, error) {
	if p.Group != nil {
		if sig != syscall.SIGKILL {
			return p.Group.Signal(sig)
		}
		pids, _ := p.Group.Procs()
		return len(pids), p.Group.Kill()
	}
	t, err := p.table()
	if err != nil {
		return 0, err
	}
	return p.signalIn(t, sig)
}

// signalIn is Signal over the table t, which may be a few ms old.
func (p *Process) signalIn(t ptable.Table, sig syscall.Signal) (int, error) {
	members := p.withOrphans(t)
	var errs []error
	if err := syscall.Kill(-p.Pid, sig); err != nil && err != syscall.ESRCH {
		errs = append(errs, err)
	}
	for _, pid := range members {
		// One the table has in the group was reached through it, unless
		// it has left since the table was read (setsid: a move out of the
		// group, never back into it): it is asked now, live, after the
		// group's signal. One that left just after that signal has it
		// twice.
		if e, _ := t.Get(pid); e.Pgid == p.Pid {
			if pg, err := syscall.Getpgid(pid); err != nil || pg == p.Pid {
				continue
			}
		}
		if err := syscall.Kill(pid, sig); err != nil && err != syscall.ESRCH {
			errs = append(errs, err)
		}
	}
	return len(members), errors.Join(errs...)
}

// Remaining returns the live members of p's tree other than p itself.
func (p *Process) Remaining() ([]int, error) {
	if p.Group != nil {
		pids, err := p.Group.Procs()
		return slices.DeleteFunc(pids, func(pid int) bool { return pid == p.Pid }), err
	}
	t, err := p.table()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(p.withOrphans(t), func(pid int) bool { return pid == p.Pid }), nil
}

// withOrphans is Members and the run's reparented orphans: what a stop
// must reach. The sampler's Members leaves the orphan scan out (it reads
// environments), which a stop cannot afford to.
func (p *Process) withOrphans(t ptable.Table) []int {
	m := p.Members(t)
	for _, pid := range p.orphans(t) {
		if !slices.Contains(m, pid) {
			m = append(m, pid)
		}
	}
	return m
}

// table is the spawner's shared process table (a Process made outside a
// Spawner reads its own).
func (p *Process) table() (ptable.Table, error) {
	if p.spawner == nil {
		return ptable.Snapshot()
	}
	return p.spawner.table.get()
}
