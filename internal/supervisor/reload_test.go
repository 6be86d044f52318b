package supervisor

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

// startedPids lists the pids of app's "started pid N" events, in order.
func startedPids(m *MemStore, app string) []int {
	var pids []int
	for _, e := range m.Events(app) {
		if s, ok := strings.CutPrefix(e.Reason, "started pid "); ok {
			if pid, err := strconv.Atoi(s); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// TestShutdownDuringReloadEndsTheNewGeneration: a reload waiting for its
// new instance to become ready is cancelled by the daemon's shutdown, and
// the new instance (not yet one of the app's) is stopped with the rest,
// before Shutdown returns.
func TestShutdownDuringReloadEndsTheNewGeneration(t *testing.T) {
	st := &MemStore{}
	s, _ := ownSup(t, st)
	a := helperApp("web", "sleep")
	a.Ready = spec.ReadyIPC // never sent: the new instance waits for ready_timeout
	a.ReadyTimeout = spec.Duration(time.Minute)
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	old := startedPids(st, "web")
	if len(old) != 1 {
		t.Fatalf("started pids %v, want one", old)
	}
	// Online by hand: its ready would never come either.
	s.allInstances()[0].tell(appSignal{r: s.allInstances()[0].live.Load(), kind: sigReady, from: "ipc"})
	waitState(t, s, "web", Online)
	reloaded := make(chan error, 1)
	go func() { _, err := s.Reload("web", 1); reloaded <- err }()
	var fresh int
	testutil.WaitFor(t, 10*time.Second, "the new generation to start", func() bool {
		if pids := startedPids(st, "web"); len(pids) == 2 {
			fresh = pids[1]
			return true
		}
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{old[0], fresh} {
		if syscall.Kill(pid, 0) == nil {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("pid %d alive after Shutdown returned", pid)
		}
	}
	select {
	case err := <-reloaded:
		if err == nil || !strings.Contains(err.Error(), "cancelled") {
			t.Errorf("reload: %v, want it cancelled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reload still waiting after Shutdown")
	}
}
