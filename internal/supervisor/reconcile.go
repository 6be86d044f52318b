package supervisor

import (
	"fmt"
	"time"

	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/spec"
)

// A drift can only begin with a change: an instance's move, or the end
// of a command (one that failed midway). Each nudges the reconciler, which
// then compares every instance with its desired state, at most once per
// reconcileEvery, so a drift is mended within one or two periods; an idle
// daemon does not wake for it. reconcileSweep is the safety net: a pass
// even when nothing was heard.
const (
	reconcileEvery = time.Second
	reconcileSweep = time.Minute
)

// nudge tells the reconciler that something changed; it never blocks.
func (s *Supervisor) nudge() {
	select {
	case s.reconC <- struct{}{}:
	default:
	}
}

// reconcileLoop mends drifts until Shutdown begins; see reconcile.
func (s *Supervisor) reconcileLoop() {
	defer s.wg.Done()
	defer crash.Guard(s.log, "reconciler")
	sweep := time.NewTicker(reconcileSweep)
	defer sweep.Stop()
	pace := time.NewTimer(0)
	defer pace.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-s.reconC:
		case <-sweep.C:
		}
		// At most one pass per reconcileEvery: what changes meanwhile is
		// seen by the next one (the nudge waits in reconC).
		select {
		case <-s.closing:
			return
		case <-pace.C:
		}
		s.reconcile()
		pace.Reset(reconcileEvery)
	}
}

// reconcile converges each app to its record, not only at daemon start:
// an instance meant to run that is stopped (a start that failed midway,
// a stop nobody asked for) is started again, one that is not meant to run
// is stopped, and an app with more or fewer
// instances than its record says is resized. Commands drive the same
// convergence directly; this pass only mends what they left undone, so an
// app a command is working on is skipped, and what the restart policy
// decided (waiting, errored, rested) is left to it.
func (s *Supervisor) reconcile() {
	// One pass under the lock finds the apps that drifted (atomic loads
	// of each instance's snapshot, no allocation); each is then mended
	// under its op lock, looked at again there.
	s.mu.Lock()
	var names []string // only drifted apps: an idle pass allocates nothing
	for name, a := range s.apps {
		if a.invalid == "" && drifted(a.rec, a.instances) {
			names = append(names, name)
		}
	}
	s.mu.Unlock()
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
	unlock, ok := s.ops.tryLock(name)
	if !ok {
		return // a command is on it
	}
	defer unlock()
	s.mu.Lock()
	a := s.apps[name]
	if a == nil || a.invalid != "" {
		s.mu.Unlock()
		return
	}
	rec, ins := a.rec, a.instances
	s.mu.Unlock()
	if n := rec.App.Instances; len(ins) != n {
		s.resize(a,
			fmt.Sprintf("reconciler: beyond the app's %d instances", n),
			fmt.Sprintf("reconciler: the app has %d instances and this one was missing", n))
		return
	}
	for _, in := range ins {
		c, ok := mend(rec, in)
		if !ok {
			continue
		}
		if err := in.send(c); err != nil {
			s.log.Warn("reconcile", "app", name, "instance", in.id, "err", err)
		}
	}
}

// drifted reports whether an app's instances differ from its record.
func drifted(rec spec.Record, ins []*instance) bool {
	if len(ins) != rec.App.Instances {
		return true
	}
	for _, in := range ins {
		if _, ok := mend(rec, in); ok {
			return true
		}
	}
	return false
}

// mend returns the command that brings in to what rec wants of it, if
// it needs one. What the restart policy decided (waiting, errored,
// rested) is left to it.
func mend(rec spec.Record, in *instance) (command, bool) {
	snap := in.snap.Load()
	want := rec.Wants(in.id)
	switch st := snap.State; {
	case want && st == Stopped && !snap.Rested && !rec.App.IsJob(): // a job waits for its schedule
		return command{kind: cmdStart, why: "reconciler: meant to run, found stopped; started again"}, true
	case !want && (st == Starting || st == Online || st == Waiting):
		return command{kind: cmdStop, why: "reconciler: meant to be stopped, found " + st.String() + "; stopped"}, true
	}
	return command{}, false
}
