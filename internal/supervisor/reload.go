package supervisor

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/spec"
)

// Reload replaces the running instances of what t addresses one
// generation at a time (DESIGN §9): for each instance, a new one starts
// on the same sockets; once it is online the old one stops gracefully.
// parallel instances are replaced at once (at least 1). If a new
// instance ends or is not ready within ready_timeout, it is stopped, the
// old one keeps serving, the reload stops there and the error says why.
// Instances that are not running are simply started. The warnings say
// when tend cannot promise zero downtime.
func (s *Supervisor) Reload(t string, parallel int) (warnings []string, err error) {
	defer s.lockTarget(t)()
	return s.reload(t, parallel, direct{s.store})
}

func (s *Supervisor) reload(t string, parallel int, w writes) (warnings []string, err error) {
	ts, err := s.resolveRunnable(t)
	if err != nil {
		return nil, err
	}
	if err := s.setDesired(ts, spec.DesiredRunning, w); err != nil {
		return nil, err
	}
	parallel = max(parallel, 1)
	var errs []error
	for _, tg := range ts {
		app := s.appOf(tg.ins[0])
		if w := noReadiness(app, tg.ins); w != "" {
			warnings = append(warnings, w)
		}
		ids := make([]int, len(tg.ins))
		for i, in := range tg.ins {
			ids[i] = in.id
		}
		for len(ids) > 0 {
			batch := ids[:min(parallel, len(ids))]
			ids = ids[len(batch):]
			berrs := make([]error, len(batch))
			var wg sync.WaitGroup
			for i, id := range batch {
				wg.Go(func() {
					defer crash.Guard(s.log, "reload")
					berrs[i] = s.reloadOne(app.Name, id)
				})
			}
			wg.Wait()
			if err := errors.Join(berrs...); err != nil {
				errs = append(errs, err)
				break // a bad deploy goes no further
			}
		}
	}
	return warnings, refused(errors.Join(errs...))
}

// noReadiness explains why a reload of app cannot promise zero downtime,
// or returns "".
func noReadiness(app *spec.App, ins []*instance) string {
	if app.Ready != spec.ReadyAuto {
		return ""
	}
	for _, in := range ins {
		if by := in.snap.Load().ReadyBy; by == "ipc" || by == "notify" {
			return "" // the app says when it is ready
		}
	}
	if len(app.Listen) == 0 {
		return fmt.Sprintf("%s: reloaded without a shared socket (listen:) or a readiness signal; tend cannot promise zero downtime", app.Name)
	}
	return fmt.Sprintf("%s: no readiness signal (ready: auto, and it has sent none): an instance counts as online after min_uptime (%s), which cannot promise zero downtime; have it send ready (IPC) or READY=1 (sd_notify), or set ready_log_line", app.Name, app.MinUptimeD())
}

// reloadOne replaces instance id of the app named name (tend reload).
func (s *Supervisor) reloadOne(name string, id int) error {
	return s.reloadOneBy(name, id, "tend reload")
}

// reloadOneBy is reloadOne for a cause named by (tend reload, or a
// trigger: "watch: src/app.js changed").
func (s *Supervisor) reloadOneBy(name string, id int, by string) error {
	s.mu.Lock()
	a, ok := s.apps[name]
	if !ok || id >= len(a.instances) {
		s.mu.Unlock()
		return fmt.Errorf("reload %s:%d: %w", name, id, ErrGone)
	}
	old, app := a.instances[id], a.rec.App
	s.mu.Unlock()

	if app.IsJob() {
		// A job is not served: its next run takes the spec, and a run
		// going now ends as it would.
		if err := old.send(command{kind: cmdUpdate, app: app}); err != nil {
			return fmt.Errorf("reload %s:%d: %w", name, id, err)
		}
		return nil
	}

	if st := old.snap.Load().State; !st.Running() || st == Stopping {
		// Nothing serves: there is nothing to keep up. It starts with
		// the app's spec, which apply may have changed.
		if err := old.send(command{kind: cmdUpdate, app: app}); err != nil {
			return fmt.Errorf("reload %s:%d: %w", name, id, err)
		}
		return old.send(command{kind: cmdRestart, why: "restarted by " + by + " (it was not running)"})
	}
	s.mu.Lock()
	select {
	case <-s.closing:
		s.mu.Unlock()
		return fmt.Errorf("reload %s:%d: the daemon is shutting down", name, id)
	default:
	}
	fresh := newInstance(s, app, id)
	s.fresh[fresh] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.fresh, fresh)
		s.mu.Unlock()
	}()
	outcome := make(chan error, 1) // the new instance says once: online (nil) or why not
	why := fmt.Sprintf("new generation by %s (replacing pid %d)", by, old.snap.Load().Pid)
	if err := fresh.send(command{kind: cmdStart, why: why, probation: outcome}); err != nil {
		s.quitInstances([]*instance{fresh}, "reload failed")
		return fmt.Errorf("reload %s:%d: %w", name, id, err)
	}
	// The outcome is decided here, once: ready, ended, timed out or
	// cancelled by the daemon's shutdown.
	deadline := time.NewTimer(app.ReadyTimeout.D())
	defer deadline.Stop()
	var failed error
	select {
	case failed = <-outcome:
	case <-deadline.C:
		failed = fmt.Errorf("was not ready within %s (ready: %s)", app.ReadyTimeout, app.Ready)
	case <-s.closing:
		failed = errors.New("was cancelled: the daemon is shutting down")
	}
	if failed != nil {
		s.quitInstances([]*instance{fresh}, "reload failed: the new instance "+failed.Error())
		old.send(command{kind: cmdNote, why: "reload failed; this instance keeps serving: the new instance " + failed.Error()})
		return fmt.Errorf("reload %s:%d: the new instance %v; the old one (pid %d) keeps serving", name, id, failed, old.snap.Load().Pid)
	}
	s.mu.Lock()
	swapped := false
	if a, ok := s.apps[name]; ok && id < len(a.instances) && a.instances[id] == old {
		// Copy on write: readers iterate the slice they took under mu
		// after releasing it.
		a.instances = slices.Clone(a.instances)
		a.instances[id] = fresh
		swapped = true
	}
	s.mu.Unlock()
	if !swapped {
		// The app was deleted, scaled or replaced meanwhile.
		s.quitInstances([]*instance{fresh}, "its app changed during the reload")
		return fmt.Errorf("reload %s:%d: the app changed during the reload", name, id)
	}
	s.quitInstances([]*instance{old}, "replaced by a new generation ("+by+")")
	return nil
}

// triggerReload replaces instance id of name by a new generation for a
// trigger (why), under the app's op lock: the triggers of several
// instances, which fire together, so reload them one at a time, a
// rolling reload with no downtime.
func (s *Supervisor) triggerReload(name string, id int, why string) {
	defer crash.Guard(s.log, "reload")
	unlock := s.ops.lock([]string{name})
	defer unlock()
	if err := s.reloadOneBy(name, id, why); err != nil {
		s.log.Warn("reload", "app", name, "instance", id, "err", err)
	}
}

// probationFailed tells a reload why its new instance failed, with the
// end of its stderr.
func (in *instance) probationFailed(why string) {
	if in.probation == nil {
		return
	}
	msg := why
	if len(in.crash) > 0 {
		msg += "; its stderr said: " + summary(slices.Clone(in.crash))
	}
	in.probation <- fmt.Errorf("%s", msg)
	in.probation = nil
}
