package supervisor

import (
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tend-pm/tend/internal/spec"
)

// What a run owns for its probes and triggers (a goroutine per probe and
// its kept connection, the memory watch, the inotify watcher, the cron
// wait, the probe socket) goes when the run ends: restarts leave no more
// goroutines than one run has, and nothing is left after the app is
// deleted.
func TestRunWatchesEndWithTheRun(t *testing.T) {
	s, _ := newSup(t)
	before := goleak.IgnoreCurrent()
	a := helperApp("w", "probeserve")
	a.Listen = []string{"tcp://127.0.0.1:0"}
	a.Ready = spec.ReadyProbe
	a.Health = &spec.Probe{HTTP: "http://127.0.0.1:${PORT}/healthz", Interval: spec.Duration(100 * time.Millisecond)}
	a.Readiness = &spec.Probe{TCP: "127.0.0.1:${PORT}", Interval: spec.Duration(100 * time.Millisecond)}
	a.MaxMemoryRestart = 1 << 30
	a.Watch = []string{t.TempDir()}
	a.CronRestart = "@daily"
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	v := waitState(t, s, "w", Online)
	if v.ReadyBy != "probe" {
		t.Errorf("ready by %q, want probe", v.ReadyBy)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		v = state(s, "w")
		if len(v.Probes) == 2 && v.Probes[0].Passing && v.Probes[1].Passing && v.Probes[1].At.After(v.Started) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("probes not both passing: %+v", v.Probes)
		}
		time.Sleep(20 * time.Millisecond)
	}
	settled := func() int {
		// Goroutines of an ended run finish within their check.
		n := runtime.NumGoroutine()
		for range 50 {
			time.Sleep(20 * time.Millisecond)
			m := runtime.NumGoroutine()
			if m == n {
				return m
			}
			n = m
		}
		return n
	}
	one := settled()
	for range 3 {
		if err := s.Restart("w", nil); err != nil {
			t.Fatal(err)
		}
		waitState(t, s, "w", Online)
	}
	time.Sleep(300 * time.Millisecond) // a leaked probe would have looped by now
	if n := settled(); n > one+1 {
		t.Errorf("%d goroutines after 3 restarts, %d with one run: the ended runs' watches go on", n, one)
	}
	if err := s.Delete("w"); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, before)
}
