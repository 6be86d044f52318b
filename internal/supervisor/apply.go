package supervisor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tend-pm/tend/internal/spec"
)

// Change is one line of an apply plan.
type Change struct {
	App    string   `json:"app"`
	Action string   `json:"action"` // added, changed, removed, unchanged
	Fields []string `json:"fields,omitempty"`
	// How the app takes its spec: "reload" (rolling) or "restart"; empty
	// when it is added, removed or left alone.
	How string `json:"how,omitempty"`
	// Warning says why a reload could not promise zero downtime.
	Warning string `json:"warning,omitempty"`
}

// ApplyMode says how Apply treats the apps of a file. The zero value is
// tend apply: change only what differs. Every "reload" or "restart" is
// tend reload FILE or tend restart FILE (PM2's pm2 reload
// ecosystem.config.js): every app of the file reloads or restarts, taking
// its spec from the file, and none is deleted.
type ApplyMode struct {
	Every    string
	Parallel int // instances replaced at once by a reload (at least 1)
}

// Plan compares apps (all read from the file source) with the live apps:
// added, changed (with the keys that differ), unchanged, and removed (live
// apps that came from source and are no longer in it), and says how each
// change is carried out.
func (s *Supervisor) Plan(apps []*spec.App, source string, mode ApplyMode) ([]Change, error) {
	for _, a := range apps {
		a.Canonicalize()
	}
	if err := s.check(apps); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var plan []Change
	inFile := map[string]bool{}
	for _, a := range apps {
		inFile[a.Name] = true
		old, ok := s.apps[a.Name]
		switch {
		case !ok:
			plan = append(plan, Change{App: a.Name, Action: "added"})
		case len(spec.Diff(old.rec.App, a)) > 0:
			how := "restart"
			if mode.Every != "restart" && reloadable(old, a, mode.Every == "reload") {
				how = "reload"
			}
			plan = append(plan, Change{App: a.Name, Action: "changed", Fields: spec.Diff(old.rec.App, a), How: how})
		case mode.Every != "":
			plan = append(plan, Change{App: a.Name, Action: "unchanged", How: mode.Every})
		default:
			plan = append(plan, Change{App: a.Name, Action: "unchanged"})
		}
	}
	if mode.Every != "" {
		return plan, nil // deletes nothing
	}
	for _, a := range s.sortedApps() {
		if a.rec.App.Source == source && !inFile[a.rec.App.Name] {
			plan = append(plan, Change{App: a.rec.App.Name, Action: "removed"})
		}
	}
	return plan, nil
}

// reloadable says whether live app old can take spec a by a rolling
// reload. Never across a listen_mode change: a reuseport socket cannot
// join a port a plain one holds. Asked for (tend reload FILE), any other
// change can. Otherwise (tend apply), only an app that runs and serves on
// tend's sockets reloads; other changes restart, as an app that binds its
// own port could not run two generations at once.
func reloadable(old *app, a *spec.App, asked bool) bool {
	if len(old.rec.App.Listen) > 0 && len(a.Listen) > 0 && old.rec.App.ListenMode != a.ListenMode {
		return false
	}
	if asked {
		return true
	}
	if old.rec.Desired != spec.DesiredRunning || len(old.rec.App.Listen) == 0 || len(a.Listen) == 0 {
		return false
	}
	for _, in := range old.instances {
		if in.snap.Load().State.Running() {
			return true
		}
	}
	return false
}

// Apply carries out a plan: starts the added apps, reloads or restarts
// the changed ones into their new spec, deletes the removed ones, and
// leaves the unchanged alone (reloads or restarts them, with mode.Every).
// Without mode.Every, running it twice changes nothing the second time.
func (s *Supervisor) Apply(apps []*spec.App, source string, mode ApplyMode) ([]Change, error) {
	// Lock the file's apps and those it once held (which may be removed).
	names := []string{}
	for _, a := range apps {
		names = append(names, a.Name)
	}
	s.mu.Lock()
	for n, a := range s.apps {
		if a.rec.App.Source == source {
			names = append(names, n)
		}
	}
	s.mu.Unlock()
	defer s.ops.lock(names)()
	plan, err := s.Plan(apps, source, mode)
	if err != nil {
		return nil, err
	}
	byName := map[string]*spec.App{}
	for _, a := range apps {
		byName[a.Name] = a
	}
	var add, replace []*spec.App
	var reload []int // indexes in plan
	var errs []error
	// One transaction for the whole plan, at its end (see writes).
	w := &batch{}
	for i, c := range plan {
		switch c.Action {
		case "added":
			add = append(add, byName[c.App])
		case "changed", "unchanged":
			switch c.How {
			case "reload":
				reload = append(reload, i)
			case "restart":
				replace = append(replace, byName[c.App]) // stop, then start with the file's spec
			}
		case "removed":
			errs = append(errs, s.delete(c.App, w))
		}
	}
	if len(add) > 0 {
		errs = append(errs, s.add(add, false, w))
	}
	if len(replace) > 0 {
		errs = append(errs, s.add(replace, true, w))
	}
	for _, i := range reload {
		var warnings []string
		var err error
		if plan[i].Action == "changed" {
			warnings, err = s.reloadInto(byName[plan[i].App], mode.Parallel, w)
		} else {
			warnings, err = s.reload(plan[i].App, mode.Parallel, w)
		}
		plan[i].Warning = strings.Join(warnings, "; ")
		errs = append(errs, err)
	}
	// Should the commit fail, the apps run as the plan says until the
	// daemon restarts, which brings back the store's state from before.
	errs = append(errs, w.commit(s.store))
	return plan, errors.Join(errs...)
}

// reloadInto gives a running app the new spec a by a rolling reload
// (DESIGN §9), then scales it to a's instance count. If a new instance
// fails, the old generation keeps serving and the app keeps its old spec,
// so the next apply tries again.
func (s *Supervisor) reloadInto(a *spec.App, parallel int, w writes) ([]string, error) {
	s.mu.Lock()
	cur, ok := s.apps[a.Name]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("reload %s: %w", a.Name, ErrGone)
	}
	prev := cur.rec
	r := spec.Record{App: a, Desired: spec.DesiredRunning, Created: prev.Created}
	s.mu.Unlock()
	// Bound and stored outside the supervisor's lock; Apply holds the
	// app's op lock.
	if err := s.bind([]*spec.App{a}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := w.put(r); err != nil {
		s.socks.Release(a.Name, prev.App.Listen)
		return nil, err
	}
	s.mu.Lock()
	cur.rec = r
	have := len(cur.instances)
	s.mu.Unlock()

	warnings, err := s.reload(a.Name, parallel, w)
	if err != nil {
		s.mu.Lock()
		restored := false
		var back spec.Record
		if cur, ok := s.apps[a.Name]; ok && cur.rec.App == a {
			cur.rec.App, restored = prev.App, true
			back = cur.rec
		}
		s.mu.Unlock()
		if restored {
			if perr := w.put(back); perr != nil {
				err = errors.Join(err, perr)
			}
		}
		if restored { // else the app changed meanwhile and owns its sockets
			s.socks.Release(a.Name, prev.App.Listen)
		}
		return warnings, fmt.Errorf("%w; %s keeps its old spec: fix it and run the command again", err, a.Name)
	}
	if a.Instances != have {
		if err := s.scale(a.Name, a.Instances, w); err != nil {
			return warnings, err
		}
	}
	s.socks.Release(a.Name, a.Listen) // addresses the new spec dropped
	return warnings, nil
}
