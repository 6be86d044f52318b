package supervisor

import (
	"errors"
	"fmt"

	"github.com/tend-pm/tend/internal/spec"
)

// Change is one line of an apply plan.
type Change struct {
	App    string   `json:"app"`
	Action string   `json:"action"` // added, changed, removed, unchanged
	Fields []string `json:"fields,omitempty"`
}

// Plan compares apps (all read from the file source) with the live apps:
// added, changed (with the keys that differ), unchanged, and removed (live
// apps that came from source and are no longer in it).
func (s *Supervisor) Plan(apps []*spec.App, source string) ([]Change, error) {
	for _, a := range apps {
		a.Canonicalize()
	}
	if err := Check(apps); err != nil {
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
			plan = append(plan, Change{App: a.Name, Action: "changed", Fields: spec.Diff(old.rec.App, a)})
		default:
			plan = append(plan, Change{App: a.Name, Action: "unchanged"})
		}
	}
	for _, a := range s.sortedApps() {
		if a.rec.App.Source == source && !inFile[a.rec.App.Name] {
			plan = append(plan, Change{App: a.rec.App.Name, Action: "removed"})
		}
	}
	return plan, nil
}

// Apply carries out a plan: starts the added apps, restarts the changed
// ones with their new spec, deletes the removed ones, and leaves the
// unchanged alone. Running it twice changes nothing the second time.
func (s *Supervisor) Apply(apps []*spec.App, source string) ([]Change, error) {
	plan, err := s.Plan(apps, source)
	if err != nil {
		return nil, err
	}
	byName := map[string]*spec.App{}
	for _, a := range apps {
		byName[a.Name] = a
	}
	var add, replace []*spec.App
	var errs []error
	for _, c := range plan {
		switch c.Action {
		case "added":
			add = append(add, byName[c.App])
		case "changed":
			replace = append(replace, byName[c.App])
		case "removed":
			errs = append(errs, s.Delete(c.App))
		}
	}
	if len(add) > 0 {
		errs = append(errs, s.Add(add, false))
	}
	if len(replace) > 0 {
		errs = append(errs, s.Add(replace, true))
	}
	return plan, errors.Join(errs...)
}
