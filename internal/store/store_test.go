package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tend-pm/tend/internal/spec"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAppsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := open(t, path)
	mu := spec.Duration(0)
	a := &spec.App{Name: "api", Script: "/bin/server", Args: []string{"-p", "1"}, MinUptime: &mu, Env: map[string]string{"K": "V"}}
	b := &spec.App{Name: "job", Script: "/bin/job"}
	if err := s.PutApps(spec.Record{App: a, Desired: spec.DesiredRunning}, spec.Record{App: b, Desired: spec.DesiredStopped}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteApps("job"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t, path)
	defer s.Close()
	recs, err := s.Apps()
	if err != nil || len(recs) != 1 {
		t.Fatalf("Apps = %v, %v; want 1 record", recs, err)
	}
	got := recs[0]
	if got.App.Name != "api" || got.Desired != spec.DesiredRunning || got.App.Env["K"] != "V" || got.App.MinUptime == nil || *got.App.MinUptime != 0 || len(got.App.Args) != 2 {
		t.Errorf("record after reopen = %+v %+v", got, got.App)
	}
}

func TestEventsInOrderAndBounded(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "state.db"))
	defer s.Close()
	n := int(MaxEvents) + 50
	for i := range n {
		app := "a"
		if i%2 == 1 {
			app = "b"
		}
		s.AddEvent(spec.Event{Time: time.Now(), App: app, Reason: fmt.Sprint(i)})
	}
	all, err := s.Events("", n)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != int(MaxEvents) {
		t.Fatalf("kept %d events, want %d", len(all), MaxEvents)
	}
	for i, e := range all {
		if want := fmt.Sprint(50 + i); e.Reason != want {
			t.Fatalf("event %d reason %s, want %s (oldest first, oldest dropped)", i, e.Reason, want)
		}
	}
	bs, _ := s.Events("b", 3)
	if len(bs) != 3 || bs[2].Reason != fmt.Sprint(n-1) || bs[0].App != "b" {
		t.Errorf("Events(b, 3) = %+v", bs)
	}
}

func TestSecondOpenTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := open(t, path)
	defer s.Close()
	if _, err := Open(path); err == nil {
		t.Fatal("a second Open of a held database succeeded")
	}
}

// A record that does not read comes back marked, under its key, so the
// supervisor can show it errored and restore the others.
func TestUnreadableRecordIsMarkedNotFatal(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "state.db"))
	defer s.Close()
	if err := s.PutApps(spec.Record{App: &spec.App{Name: "ok", Script: "/bin/true"}}); err != nil {
		t.Fatal(err)
	}
	s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketApps).Put([]byte("broken"), []byte(`{"app":{"instances":"many"`))
	})
	recs, err := s.Apps()
	if err != nil || len(recs) != 2 {
		t.Fatalf("Apps = %v, %v; want both records", recs, err)
	}
	for _, r := range recs {
		switch r.App.Name {
		case "ok":
			if r.Invalid != "" {
				t.Errorf("ok marked invalid: %s", r.Invalid)
			}
		case "broken":
			if r.Invalid == "" {
				t.Error("the unreadable record is not marked")
			}
		default:
			t.Errorf("unexpected record %q", r.App.Name)
		}
	}
}
