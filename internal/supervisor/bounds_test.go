package supervisor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/spec"
)

// A stored record that no longer validates (here, a count stored by a
// build with no bound) must not stop the daemon or grow it: that app
// comes up errored with the reason, and the others restore.
func TestRestoreInvalidRecordIsErrored(t *testing.T) {
	st := &MemStore{}
	bad := helperApp("huge", "sleep")
	bad.Canonicalize()
	bad.Instances = 99999999999
	good := helperApp("fine", "sleep")
	good.Canonicalize()
	now := time.Now()
	st.PutApps(spec.Record{App: bad, Desired: spec.DesiredRunning, Created: now},
		spec.Record{App: good, Desired: spec.DesiredRunning, Created: now.Add(time.Millisecond)})

	sp, err := proc.NewSpawner()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{Home: t.TempDir(), Store: st, Spawner: sp})
	t.Cleanup(func() {
		s.Shutdown(context.Background())
		sp.Close()
	})
	if err := s.Restore(); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	waitState(t, s, "fine", Online)
	v, err := s.Get("huge")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Instances) != 1 || v.Instances[0].State != Errored ||
		!strings.Contains(v.Instances[0].Reason, "instances 99999999999: want 1 to 1024") {
		t.Fatalf("huge: %d instances, %+v; want one errored instance naming the bound", len(v.Instances), v.Instances[0].Snapshot)
	}
	for _, try := range []func() error{
		func() error { return s.StartExisting("huge") },
		func() error { return s.Restart("huge", nil) },
		func() error { return s.Scale("huge", 2) },
		func() error { _, err := s.Reload("huge", 1); return err },
	} {
		if err := try(); !errors.Is(err, ErrInvalid) {
			t.Errorf("a command on the invalid app: %v; want it refused as invalid", err)
		}
	}
	if st := state(s, "huge").State; st != Errored {
		t.Errorf("huge is %s after the refused commands; want errored", st)
	}
	if err := s.Delete("huge"); err != nil {
		t.Errorf("delete of the invalid app: %v", err)
	}
}

func TestScaleBeyondTheBoundChangesNothing(t *testing.T) {
	s, st := newSup(t)
	if err := s.Add([]*spec.App{helperApp("a", "sleep")}, false); err != nil {
		t.Fatal(err)
	}
	err := s.Scale("a", 99999999999)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "at most 1024") {
		t.Fatalf("scale 99999999999: %v; want refused, naming 1024", err)
	}
	recs, _ := st.Apps()
	if v, _ := s.Get("a"); len(v.Instances) != 1 || recs[0].App.Instances != 1 {
		t.Errorf("after a refused scale: %d instances, %d stored; want 1 and 1", len(v.Instances), recs[0].App.Instances)
	}
	a := helperApp("b", "sleep")
	a.Instances = 100000
	if err := s.Add([]*spec.App{a}, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("start with 100000 instances: %v; want refused as invalid", err)
	}
	if _, err := s.Get("b"); !errors.Is(err, ErrUnknownApp) {
		t.Errorf("a refused app was stored: %v", err)
	}
}

func TestHigherMaxInstancesAllowsMore(t *testing.T) {
	sp, err := proc.NewSpawner()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{Home: t.TempDir(), Store: &MemStore{}, Spawner: sp, Limits: spec.Limits{MaxInstances: 2}})
	t.Cleanup(func() {
		s.Shutdown(context.Background())
		sp.Close()
	})
	if err := s.Add([]*spec.App{helperApp("a", "sleep")}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Scale("a", 2); err != nil {
		t.Errorf("scale to the bound: %v", err)
	}
	if err := s.Scale("a", 3); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "at most 2") {
		t.Errorf("scale past --max-instances 2: %v; want refused naming 2", err)
	}
}
