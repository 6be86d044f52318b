package supervisor

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

// allowed is an answer a racing command may get: done, or refused in
// words (the app is gone, the name is taken, cannot X while Y).
func allowed(err error) bool {
	_, te := errors.AsType[*TransitionError](err)
	return err == nil || te || errors.Is(err, ErrUnknownApp) || errors.Is(err, ErrNameTaken) || errors.Is(err, ErrRefused)
}

// Any mix of commands on one app, from many clients at once, gets an
// answer each, and the store and the daemon's memory agree after it: a
// deleted app is not written back (issue 10: `tend delete x & tend stop x
// & tend restart x` brought one deleted app in three back).
func TestRacingCommandsOnOneApp(t *testing.T) {
	s, st := newSup(t)
	app := func() *spec.App {
		a := helperApp("x", "sleep")
		a.KillTimeout = spec.Duration(2 * time.Second)
		return a
	}
	ops := []func() error{
		func() error { return s.Delete("x") },
		func() error { return s.Stop("x") },
		func() error { return s.Stop("x:0") },
		func() error { return s.Restart("x", nil) },
		func() error { return s.StartExisting("x") },
		func() error { _, err := s.Reload("x", 1); return err },
		func() error { return s.Scale("x", 2) },
		func() error { return s.Scale("x", 1) },
		func() error { return s.Add([]*spec.App{app()}, false) },
		func() error { _, err := s.Get("x"); return err },
		func() error { _, err := s.Get("all"); return err },
	}
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	for round := range rounds {
		if err := s.Add([]*spec.App{app()}, true); err != nil {
			t.Fatalf("round %d: add: %v", round, err)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(ops))
		for i, op := range ops {
			wg.Go(func() { errs[i] = op() })
		}
		wg.Wait()
		for i, err := range errs {
			if !allowed(err) {
				t.Errorf("round %d: op %d: %v; want done or a refusal in words", round, i, err)
			}
		}
		if err := sameAsStore(s, st); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	if err := s.Delete("x"); err != nil && !errors.Is(err, ErrUnknownApp) {
		t.Fatal(err)
	}
}

// sameAsStore reports where the live apps and the stored ones differ.
func sameAsStore(s *Supervisor, st Store) error {
	recs, err := st.Apps()
	if err != nil {
		return err
	}
	stored := map[string]spec.Record{}
	for _, r := range recs {
		stored[r.App.Name] = r
	}
	var live []string
	for _, a := range s.List() {
		live = append(live, a.Record.App.Name)
		r, ok := stored[a.Record.App.Name]
		if !ok {
			return fmt.Errorf("%s is live but not stored", a.Record.App.Name)
		}
		if r.Desired != a.Record.Desired || r.App.Instances != len(a.Instances) {
			return fmt.Errorf("%s: stored %s with %d instances, live %s with %d", a.Record.App.Name,
				r.Desired, r.App.Instances, a.Record.Desired, len(a.Instances))
		}
	}
	for n := range stored {
		if !slices.Contains(live, n) {
			return fmt.Errorf("%s is stored but was deleted (it would come back after a daemon restart)", n)
		}
	}
	return nil
}
