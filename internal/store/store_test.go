package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
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

func TestEventsInOrderAndMerged(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "state.db"))
	defer s.Close()
	for i := range 200 {
		app := "a"
		if i%2 == 1 {
			app = "b"
		}
		s.AddEvent(spec.Event{Time: time.Now(), App: app, Reason: fmt.Sprint(i)})
	}
	all, err := s.Events("", 150)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 150 {
		t.Fatalf("got %d events, want the newest 150", len(all))
	}
	for i, e := range all {
		if want := fmt.Sprint(50 + i); e.Reason != want {
			t.Fatalf("event %d reason %s, want %s (oldest first, merged across apps)", i, e.Reason, want)
		}
	}
	bs, _ := s.Events("b", 3)
	if len(bs) != 3 || bs[2].Reason != "199" || bs[0].App != "b" {
		t.Errorf("Events(b, 3) = %+v", bs)
	}
}

// One app writing without end never pushes another's history out: each
// keeps its last KeepPerApp and its last KeepFor, at most MaxPerApp.
func TestEventsKeptPerApp(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "state.db"))
	defer s.Close()
	old := time.Now().Add(-KeepFor - time.Hour)
	for i := range 20 {
		s.AddEvent(spec.Event{Time: old, App: "quiet", Reason: fmt.Sprint("q", i)})
	}
	// The noisy app: old events beyond KeepPerApp go, recent ones stay
	// up to MaxPerApp.
	var evs []spec.Event
	for i := range KeepPerApp + 500 {
		evs = append(evs, spec.Event{Time: old, App: "noisy", Reason: fmt.Sprint("old", i)})
	}
	for i := range MaxPerApp + 10 {
		evs = append(evs, spec.Event{Time: time.Now(), App: "noisy", Reason: fmt.Sprint("new", i)})
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return putEvents(tx, evs, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	quiet, _ := s.Events("quiet", 100)
	if len(quiet) != 20 {
		t.Errorf("quiet kept %d of its 20 events, old as they are (fewer than %d)", len(quiet), KeepPerApp)
	}
	noisy, _ := s.Events("noisy", 2*MaxPerApp)
	if len(noisy) != MaxPerApp || noisy[0].Reason != "new10" {
		t.Errorf("noisy kept %d events from %q; want its newest %d", len(noisy), noisy[0].Reason, MaxPerApp)
	}
	// Old events of a noisy app beyond KeepPerApp go when recent ones
	// are few.
	evs = evs[:0]
	for i := range KeepPerApp + 300 {
		evs = append(evs, spec.Event{Time: old, App: "crashy", Reason: fmt.Sprint(i)})
	}
	evs = append(evs, spec.Event{Time: time.Now(), App: "crashy", Reason: "recent"})
	if err := s.db.Update(func(tx *bolt.Tx) error { return putEvents(tx, evs, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	crashy, _ := s.Events("crashy", 5000)
	if len(crashy) != KeepPerApp || crashy[len(crashy)-1].Reason != "recent" {
		t.Errorf("crashy kept %d events; want its last %d", len(crashy), KeepPerApp)
	}
}

// A database of an older build (one log) reads into the per-app
// buckets; an app no longer stored whose events are all old is dropped.
func TestOldEventLogMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("events"))
		if err != nil {
			return err
		}
		apps, err := tx.CreateBucket([]byte("apps"))
		if err != nil {
			return err
		}
		apps.Put([]byte("web"), []byte(`{"app":{"name":"web","script":"x"},"desired":"running"}`))
		for _, e := range []spec.Event{
			{Time: time.Now(), App: "web", Reason: "one"},
			{Time: time.Now().Add(-KeepFor - time.Hour), App: "gone", Reason: "ancient"},
			{Time: time.Now(), App: "web", Reason: "two"},
		} {
			seq, _ := b.NextSequence()
			e.Seq = seq
			v, _ := json.Marshal(e)
			if err := b.Put(key(seq), v); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	defer s.Close()
	all, err := s.Events("", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Reason != "one" || all[1].Reason != "two" || all[1].Seq != 3 {
		t.Errorf("after the migration: %+v; want web's two events, seq kept, and gone's dropped", all)
	}
	s.AddEvent(spec.Event{Time: time.Now(), App: "web", Reason: "three"})
	web, _ := s.Events("web", 10)
	if len(web) != 3 || web[2].Seq <= 3 {
		t.Errorf("a new event after the migration: %+v; want seq after the old ones", web)
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

func TestEventsSince(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "state.db"))
	defer s.Close()
	base := time.Now().Add(-time.Hour)
	for i := range 6 {
		app := []string{"a", "b"}[i%2]
		s.AddEvent(spec.Event{Time: base.Add(time.Duration(i) * time.Minute), App: app, Reason: fmt.Sprint(i)})
	}
	got, err := s.EventsSince("", 100, base.Add(3*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, e := range got {
		reasons = append(reasons, e.Reason)
	}
	if strings.Join(reasons, ",") != "3,4,5" {
		t.Errorf("since minute 3: %v, want 3,4,5 in order", reasons)
	}
}
