package supervisor

import (
	"fmt"
	"syscall"
	"time"

	"github.com/tend-pm/tend/internal/crash"
)

// reconcileEvery is how often the observed state of every instance is
// compared with its desired state, so that a drift is mended within one
// or two periods.
const reconcileEvery = time.Second

// reconcileLoop mends drifts until Shutdown begins; see reconcile.
func (s *Supervisor) reconcileLoop() {
	defer s.wg.Done()
	defer crash.Guard(s.log, "reconciler")
	t := time.NewTicker(reconcileEvery)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			s.reconcile()
		}
	}
}

// reconcile converges each app to its record, not only at daemon start:
// an instance meant to run that is stopped (a start that failed midway,
// a stop nobody asked for) is started again, one that is not meant to run
// is stopped, a run whose main process vanished unseen is ended as lost
// (and so restarted by its policy), and an app with more or fewer
// instances than its record says is resized. Commands drive the same
// convergence directly; this pass only mends what they left undone, so an
// app a command is working on is skipped, and what the restart policy
// decided (waiting, errored, rested) is left to it.
func (s *Supervisor) reconcile() {
	s.mu.Lock()
	names := s.reconNames[:0] // reused: an idle pass makes no garbage
	for name := range s.apps {
		names = append(names, name)
	}
	s.mu.Unlock()
	s.reconNames = names
	for _, name := range names {
		select {
		case <-s.closing:
			return
		default:
		}
		s.reconcileApp(name)
	}
}

func (s *Supervisor) reconcileApp(name string) {
	// Look first without the op lock (nothing to mend is the rule, and
	// costs no allocation), then again under it before acting.
	if _, _, fixes := s.drift(name); len(fixes) == 0 {
		return
	}
	unlock, ok := s.ops.tryLock(name)
	if !ok {
		return // a command is on it
	}
	defer unlock()
	a, n, fixes := s.drift(name)
	if n >= 0 {
		s.resize(a,
			fmt.Sprintf("reconciler: beyond the app's %d instances", n),
			fmt.Sprintf("reconciler: the app has %d instances and this one was missing", n))
		return
	}
	for _, f := range fixes {
		if err := f.in.send(f.c); err != nil {
			s.log.Warn("reconcile", "app", name, "instance", f.in.id, "err", err)
		}
	}
}

// fix is one command that mends an instance.
type fix struct {
	in *instance
	c  command
}

// drift compares app name with its record: n >= 0 when its number of
// instances is not the record's n (then fixes holds one entry, to say
// so), else the commands that mend its instances.
func (s *Supervisor) drift(name string) (a *app, n int, fixes []fix) {
	s.mu.Lock()
	a = s.apps[name]
	if a == nil || a.invalid != "" {
		s.mu.Unlock()
		return nil, -1, nil
	}
	rec, ins := a.rec, a.instances
	s.mu.Unlock()
	if n := rec.App.Instances; len(ins) != n {
		return a, n, []fix{{}}
	}
	for _, in := range ins {
		snap := in.snap.Load()
		want := rec.Wants(in.id)
		var c command
		switch st := snap.State; {
		case want && st == Stopped && !snap.Rested:
			c = command{kind: cmdStart, why: "reconciler: meant to run, found stopped; started again"}
		case !want && (st == Starting || st == Online || st == Waiting):
			c = command{kind: cmdStop, why: fmt.Sprintf("reconciler: meant to be stopped, found %s; stopped", st)}
		case (st == Starting || st == Online) && snap.Pid != 0 && syscall.Kill(snap.Pid, 0) == syscall.ESRCH:
			// Reaped, and the owner was not told; it checks again itself
			// (the exit may have been reported meanwhile).
			c = command{kind: cmdLost}
		default:
			continue
		}
		fixes = append(fixes, fix{in, c})
	}
	return a, -1, fixes
}
