package supervisor

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

func mkApp(mod func(a *spec.App)) *spec.App {
	a := &spec.App{Name: "api", Script: "x"}
	if mod != nil {
		mod(a)
	}
	a.Canonicalize()
	return a
}

var t0 = time.Date(2026, 1, 2, 14, 3, 0, 0, time.UTC)

func TestDecide(t *testing.T) {
	fast := 100 * time.Millisecond
	slow := 5 * time.Second
	restarts := func(n int, every time.Duration) []time.Time {
		var ts []time.Time
		for i := n; i > 0; i-- {
			ts = append(ts, t0.Add(-time.Duration(i)*every))
		}
		return ts
	}
	tests := []struct {
		name        string
		app         *spec.App
		hist        History
		exit        Exit
		restart     bool
		giveUp      bool
		delay       time.Duration
		fast        int
		reasonParts []string
	}{
		{"always, crash, first: at once", mkApp(nil), History{}, Exit{Code: 1, Ran: fast},
			true, false, 0, 1, []string{"exit 1 → restart now"}},
		{"always, clean exit: restarts", mkApp(nil), History{}, Exit{Code: 0, Ran: slow},
			true, false, 0, 0, []string{"exit 0 → restart now"}},
		{"always, second fast crash: 100ms", mkApp(nil), History{Fast: 1, FastSince: t0.Add(-time.Second)}, Exit{Code: 1, Ran: fast},
			true, false, 100 * time.Millisecond, 2, []string{"exit 1 ×2 in 1s → backoff 100ms"}},
		{"always, third fast crash: 200ms", mkApp(nil), History{Fast: 2}, Exit{Code: 1, Ran: fast},
			true, false, 200 * time.Millisecond, 3, []string{"×3", "backoff 200ms"}},
		{"always, sixth fast crash: 1.6s", mkApp(nil), History{Fast: 5}, Exit{Code: 1, Ran: fast},
			true, false, 1600 * time.Millisecond, 6, []string{"×6", "backoff 1.6s"}},
		{"exp_backoff_restart_delay sets the base", mkApp(func(a *spec.App) { a.ExpBackoffRestartDelay = spec.Duration(time.Second) }), History{Fast: 2}, Exit{Code: 1, Ran: fast},
			true, false, 2 * time.Second, 3, []string{"backoff 2s"}},
		{"backoff caps at 30s", mkApp(nil), History{Fast: 40}, Exit{Code: 1, Ran: fast},
			true, false, 30 * time.Second, 41, []string{"backoff 30s"}},
		{"a run of min_uptime resets backoff", mkApp(nil), History{Fast: 9}, Exit{Code: 1, Ran: slow},
			true, false, 0, 0, []string{"restart now"}},
		{"restart_delay is a floor", mkApp(func(a *spec.App) { a.RestartDelay = spec.Duration(time.Second) }), History{Fast: 2}, Exit{Code: 1, Ran: fast},
			true, false, time.Second, 3, []string{"backoff 1s"}},
		{"restart_delay on a slow run", mkApp(func(a *spec.App) { a.RestartDelay = spec.Duration(time.Second) }), History{}, Exit{Code: 1, Ran: slow},
			true, false, time.Second, 0, []string{"restart in 1s"}},
		{"signal counts as crash", mkApp(nil), History{}, Exit{Code: 137, Signal: syscall.SIGKILL, Ran: slow},
			true, false, 0, 0, []string{"killed by SIGKILL → restart now"}},
		{"never: no restart", mkApp(func(a *spec.App) { a.Autorestart = spec.RestartNever }), History{}, Exit{Code: 1, Ran: fast},
			false, false, 0, 0, []string{"autorestart never"}},
		{"on-failure, exit 0: no restart", mkApp(func(a *spec.App) { a.Autorestart = spec.RestartOnFailure }), History{}, Exit{Code: 0, Ran: slow},
			false, false, 0, 0, []string{"clean exit", "on-failure"}},
		{"on-failure, exit 2: restart", mkApp(func(a *spec.App) { a.Autorestart = spec.RestartOnFailure }), History{}, Exit{Code: 2, Ran: slow},
			true, false, 0, 0, []string{"exit 2"}},
		{"on-failure, signal: restart", mkApp(func(a *spec.App) { a.Autorestart = spec.RestartOnFailure }), History{}, Exit{Code: 143, Signal: syscall.SIGTERM, Ran: slow},
			true, false, 0, 0, []string{"SIGTERM"}},
		{"on-failure, stop_exit_codes: no restart", mkApp(func(a *spec.App) { a.Autorestart = spec.RestartOnFailure; a.StopExitCodes = []int{3} }), History{}, Exit{Code: 3, Ran: slow},
			false, false, 0, 0, []string{"clean exit"}},
		{"max_restarts reached in window: errored", mkApp(func(a *spec.App) { a.MaxRestarts = 3; a.RestartWindow = spec.Duration(10 * time.Second) }),
			History{Restarts: restarts(3, time.Second)}, Exit{Code: 1, Ran: fast},
			false, true, 0, 1, []string{"after 3 restarts in 10s", "max_restarts 3", "errored"}},
		{"max_restarts, old restarts outside window: restart", mkApp(func(a *spec.App) { a.MaxRestarts = 3; a.RestartWindow = spec.Duration(10 * time.Second) }),
			History{Restarts: restarts(3, 5*time.Second)}, Exit{Code: 1, Ran: slow},
			true, false, 0, 0, []string{"restart now"}},
		{"max_restarts not set: never gives up", mkApp(nil), History{Restarts: restarts(200, 10*time.Second)}, Exit{Code: 1, Ran: slow},
			true, false, 0, 0, nil},
		{"start limit: 10 starts in the last second wait for the oldest to age", mkApp(nil), History{Restarts: restarts(10, 50*time.Millisecond)}, Exit{Code: 0, Ran: slow},
			true, false, 500 * time.Millisecond, 0, []string{"start limit (10 in 1s), restart in 500ms"}},
		{"start limit: 9 in the last second go at once", mkApp(nil), History{Restarts: restarts(9, 50*time.Millisecond)}, Exit{Code: 0, Ran: slow},
			true, false, 0, 0, []string{"restart now"}},
		{"start limit: a longer backoff stands", mkApp(nil), History{Fast: 5, Restarts: restarts(10, 50*time.Millisecond)}, Exit{Code: 1, Ran: fast},
			true, false, 1600 * time.Millisecond, 6, []string{"backoff 1.6s"}},
	}
	for _, tt := range tests {
		d := Decide(tt.app, tt.hist, tt.exit, t0, 0.5)
		if d.Restart != tt.restart || d.GiveUp != tt.giveUp || d.Delay != tt.delay || d.History.Fast != tt.fast {
			t.Errorf("%s: Decide = restart %v giveUp %v delay %s fast %d; want %v %v %s %d (%s)",
				tt.name, d.Restart, d.GiveUp, d.Delay, d.History.Fast, tt.restart, tt.giveUp, tt.delay, tt.fast, d.Reason)
		}
		for _, p := range tt.reasonParts {
			if !strings.Contains(d.Reason, p) {
				t.Errorf("%s: reason %q lacks %q", tt.name, d.Reason, p)
			}
		}
		if d.Restart && len(d.History.Restarts) != min(len(tt.hist.Restarts)+1, historyCap) {
			t.Errorf("%s: %d restarts remembered, want %d", tt.name, len(d.History.Restarts), len(tt.hist.Restarts)+1)
		}
	}
}

func TestBackoffJitterStaysInBounds(t *testing.T) {
	for n := 1; n < 20; n++ {
		lo, hi := backoff(0, n, 0), backoff(0, n, 0.999)
		mid := backoff(0, n, 0.5)
		if lo > mid || mid > hi || hi > backoffCap || float64(hi-lo) > 0.21*float64(mid) {
			t.Errorf("backoff(%d): lo %s mid %s hi %s", n, lo, mid, hi)
		}
	}
}
