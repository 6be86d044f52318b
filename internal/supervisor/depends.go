package supervisor

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/spec"
)

// An app with depends_on starts only once each dependency has met its
// condition. Until then its instances are held: waiting, with the reason
// "waiting for db (ready)", and no timer. Whenever an instance's state
// changes, the dependency loop looks at every held instance and releases
// those whose dependencies are now met; the instance checks again itself
// before it starts, so a release that raced a change is harmless.

// condition is whether one dependency, an app with record rec and
// instance snapshots snaps, meets cond: met, or failed with the reason it
// will not get there by itself ("db is errored"), or neither (it is on
// its way). A pure function, table-tested.
func condition(cond string, rec spec.Record, snaps []*Snapshot) (met bool, failed string) {
	name := rec.App.Name
	wanted := 0
	for _, sn := range snaps {
		if !rec.Wants(sn.Instance) {
			continue
		}
		wanted++
		done := sn.State == Stopped && sn.Rested && sn.LastExit != nil && sn.LastExit.Code == 0 && sn.LastExit.Signal == ""
		switch {
		case sn.State == Errored:
			return false, fmt.Sprintf("%s is errored: %s", instanceName(name, sn, len(snaps)), sn.Reason)
		case sn.State == Stopped && sn.Rested && !done:
			return false, fmt.Sprintf("%s ended (%s) and stays down", instanceName(name, sn, len(snaps)), exitWords(sn.LastExit))
		}
		switch cond {
		case spec.DependCompleted:
			if !done {
				return false, ""
			}
		case spec.DependReady:
			if !done && (sn.State != Online || sn.NotReady) {
				return false, ""
			}
		default: // started
			if !done && sn.State != Starting && sn.State != Online {
				return false, ""
			}
		}
	}
	if wanted == 0 {
		return false, fmt.Sprintf("%s is stopped; `tend start %s` starts it", name, name)
	}
	return true, ""
}

func instanceName(app string, sn *Snapshot, n int) string {
	if n == 1 {
		return app
	}
	return fmt.Sprintf("%s:%d", app, sn.Instance)
}

func exitWords(e *spec.ExitInfo) string {
	switch {
	case e == nil:
		return "no exit recorded"
	case e.Signal != "":
		return "signal " + strings.TrimPrefix(e.Signal, "SIG")
	}
	return fmt.Sprintf("exit %d", e.Code)
}

// blocked says what a still waits for, or "" when every dependency has
// met its condition: "waiting for db (ready)", with why it will not come
// by itself when it will not ("…: db is errored: …").
func (s *Supervisor) blocked(a *spec.App) string {
	deps := a.Dependencies()
	if len(deps) == 0 {
		return ""
	}
	type look struct {
		rec spec.Record
		ins []*instance
		ok  bool
	}
	looks := make([]look, len(deps))
	s.mu.Lock()
	for i, d := range deps {
		if da, ok := s.apps[d.App]; ok && da.invalid == "" {
			looks[i] = look{da.rec, da.instances, true}
		}
	}
	s.mu.Unlock()
	for i, d := range deps {
		if !looks[i].ok {
			return fmt.Sprintf("waiting for %s: tend has no app named %s", d, d.App)
		}
		snaps := make([]*Snapshot, len(looks[i].ins))
		for j, in := range looks[i].ins {
			snaps[j] = in.snap.Load()
		}
		met, failed := condition(d.Condition, looks[i].rec, snaps)
		switch {
		case failed != "":
			return fmt.Sprintf("waiting for %s: %s", d, failed)
		case !met:
			return "waiting for " + d.String()
		}
	}
	return ""
}

// depsChanged wakes the dependency loop; it never blocks.
func (s *Supervisor) depsChanged() {
	select {
	case s.depC <- struct{}{}:
	default:
	}
}

// depsLoop releases held instances whose dependencies are met, and tells
// the others when what they wait for changed, until Shutdown begins.
func (s *Supervisor) depsLoop() {
	defer s.wg.Done()
	defer crash.Guard(s.log, "dependencies")
	for {
		select {
		case <-s.closing:
			return
		case <-s.depC:
		}
		type heldOne struct {
			in  *instance
			app *spec.App
		}
		s.mu.Lock()
		var held []heldOne
		for _, a := range s.apps {
			if len(a.rec.App.DependsOn) == 0 {
				continue
			}
			for _, in := range a.instances {
				if sn := in.snap.Load(); sn.State == Waiting && sn.WaitingFor != "" {
					held = append(held, heldOne{in, a.rec.App})
				}
			}
		}
		s.mu.Unlock()
		for _, h := range held {
			in := h.in
			if s.blocked(h.app) == in.snap.Load().WaitingFor {
				continue
			}
			select {
			case <-s.closing:
				return
			default:
			}
			if err := in.send(command{kind: cmdRelease}); err != nil {
				in.log.Debug("release", "err", err)
			}
		}
	}
}

// stopLayers splits ins into layers to stop one after another: an
// instance of an app that depends on another comes in an earlier layer
// than that app's (dependents stop first, as systemd stops units in the
// reverse of their start order). g is the graph to follow; nil means the
// daemon's apps'. Without dependencies among them it is one layer.
func (s *Supervisor) stopLayers(g spec.Graph, ins []*instance) [][]*instance {
	byApp := map[string][]*instance{}
	var names []string
	for _, in := range ins {
		if _, ok := byApp[in.name]; !ok {
			names = append(names, in.name)
		}
		byApp[in.name] = append(byApp[in.name], in)
	}
	if len(names) < 2 {
		return [][]*instance{ins}
	}
	if g == nil {
		g = s.graph()
	}
	var out [][]*instance
	for _, layer := range g.StopLayers(names) {
		var l []*instance
		for _, n := range layer {
			l = append(l, byApp[n]...)
		}
		out = append(out, l)
	}
	return out
}

// eachInOrder is each, layer by layer of stopLayers.
func (s *Supervisor) eachInOrder(g spec.Graph, ins []*instance, c command) error {
	var errs []error
	for _, layer := range s.stopLayers(g, ins) {
		errs = append(errs, each(layer, c))
	}
	return errors.Join(errs...)
}

// propagate restarts the apps with propagate: true that depend, directly
// or through other such apps, on the apps just restarted. Each waits, held,
// until what it depends on meets its condition again.
func (s *Supervisor) propagate(restarted []string) error {
	g := s.graph()
	s.mu.Lock()
	var names []string
	why := map[string]string{}
	hit := map[string]bool{}
	for _, n := range restarted {
		hit[n] = true
	}
	for _, r := range restarted {
		for _, d := range g.Dependents(r) {
			a := s.apps[d]
			if hit[d] || a == nil || !a.rec.App.Propagate {
				continue
			}
			for _, dep := range g[d] {
				if hit[dep] {
					hit[d], why[d] = true, dep
					names = append(names, d)
					break
				}
			}
		}
	}
	s.mu.Unlock()
	if len(names) == 0 {
		return nil
	}
	defer s.ops.lock(names)()
	var errs []error
	for _, n := range names {
		ts, err := s.resolve(n)
		if err != nil {
			continue // deleted meanwhile
		}
		if ts[0].app.rec.Desired != spec.DesiredRunning {
			continue
		}
		errs = append(errs, each(allInstances(ts), command{kind: cmdRestart,
			why: fmt.Sprintf("restarted because %s was restarted (propagate)", why[n])}))
	}
	return errors.Join(errs...)
}

// graph is the dependency graph of the daemon's apps.
func (s *Supervisor) graph() spec.Graph {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := make(spec.Graph, len(s.apps))
	for n, a := range s.apps {
		g[n] = slices.Sorted(maps.Keys(a.rec.App.DependsOn))
	}
	return g
}
