package supervisor

import (
	"context"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

// TestStopOneInstanceIsKeptAcrossRestore: `tend stop web:1` is a desired
// state of its own; a daemon restart does not bring web:1 back, and
// `tend start web:1` does.
func TestStopOneInstanceIsKeptAcrossRestore(t *testing.T) {
	st := &MemStore{}
	first, sp := ownSup(t, st)
	a := helperApp("web", "sleep")
	a.Instances = 3
	if err := first.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	if err := first.Stop("web:1"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := first.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	sp.Close() // one reaper at a time: the next supervisor has its own

	s := newSupOver(t, st)
	if err := s.Restore(); err != nil {
		t.Fatal(err)
	}
	v, err := s.Get("web")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []State{Online, Stopped, Online} {
		got := v.Instances[i].State
		if want == Stopped && got != Stopped {
			t.Errorf("web:%d %s after restore, want stopped (stopped by hand before)", i, got)
		}
		if want == Online && got == Stopped {
			t.Errorf("web:%d stopped after restore, want it running", i)
		}
	}
	if err := s.StartExisting("web:1"); err != nil {
		t.Fatal(err)
	}
	if r, _ := st.Record("web"); r.Desired != spec.DesiredRunning || len(r.Stopped) != 0 {
		t.Errorf("after start web:1: desired %s, stopped %v; want running, none", r.Desired, r.Stopped)
	}
}
