package supervisor

import (
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

// Backoff bounds (DESIGN §8).
const (
	backoffBase = 100 * time.Millisecond
	backoffCap  = 30 * time.Second
	// historyCap bounds the restart times kept per instance.
	historyCap = 256
	// startBurst restarts within startWindow at most: an app that exits
	// at once and counts as stable (min_uptime 0) would otherwise be
	// restarted hundreds of times a second, a core spent on forks
	// (systemd's StartLimitBurst, without giving up).
	startBurst  = 10
	startWindow = time.Second
)

// Exit is how one run of an instance ended.
type Exit struct {
	Code   int            // exit code; 128+signo when signalled
	Signal syscall.Signal // 0 unless killed by a signal
	Ran    time.Duration  // how long the run lasted
	// Failure is why tend ended the run (not ready in time, watchdog):
	// such a run failed whatever its exit status.
	Failure string
}

func (e Exit) String() string {
	if e.Failure != "" {
		return e.Failure + " (" + Exit{Code: e.Code, Signal: e.Signal}.String() + ")"
	}
	if e.Signal != 0 {
		return "killed by " + spec.SignalName(e.Signal)
	}
	if e.Code < 0 {
		return "exit status unknown"
	}
	return fmt.Sprintf("exit %d", e.Code)
}

// History is what the restart decision remembers of earlier runs.
type History struct {
	// Restarts are the times of recent restarts, oldest first.
	Restarts []time.Time
	// Fast counts consecutive runs that ended before min_uptime.
	Fast int
	// FastSince is when the first of those fast runs ended.
	FastSince time.Time
}

// Decision is the outcome of Decide.
type Decision struct {
	Restart bool
	GiveUp  bool // true: move to errored
	Delay   time.Duration
	Reason  string
	History History // the history to keep after this exit
}

// Decide is the restart policy as a pure function of the app's policy, the
// instance's history, how the run ended, the time, and a jitter value in
// [0,1) (DESIGN §8). It reads no clock and starts nothing.
func Decide(app *spec.App, h History, e Exit, now time.Time, jitter float64) Decision {
	d := Decision{History: h}
	clean := e.Failure == "" && e.Signal == 0 && (e.Code == 0 || slices.Contains(app.StopExitCodes, e.Code))
	switch app.Autorestart {
	case spec.RestartNever:
		d.Reason = e.String() + "; autorestart never → stopped"
		return d
	case spec.RestartOnFailure:
		if clean {
			d.Reason = e.String() + " is a clean exit; autorestart on-failure → stopped"
			return d
		}
	}
	if e.Ran < app.MinUptimeD() || e.Failure != "" {
		if d.History.Fast == 0 {
			d.History.FastSince = now
		}
		d.History.Fast++
	} else {
		d.History.Fast, d.History.FastSince = 0, time.Time{}
	}
	if app.MaxRestarts > 0 {
		n := restartsSince(h.Restarts, now.Add(-app.RestartWindow.D()))
		if n >= app.MaxRestarts {
			d.GiveUp = true
			d.Reason = fmt.Sprintf("%s after %d restarts in %s (max_restarts %d) → errored",
				e, n, app.RestartWindow, app.MaxRestarts)
			return d
		}
	}
	d.Restart = true
	d.Delay = app.RestartDelay.D()
	if d.History.Fast >= 2 {
		d.Delay = max(d.Delay, backoff(app.ExpBackoffRestartDelay.D(), d.History.Fast-1, jitter))
	}
	limited := false
	if recent := restartsSince(h.Restarts, now.Add(-startWindow)); recent >= startBurst {
		// The next start waits until the oldest of the last startBurst
		// falls out of the window.
		oldest := h.Restarts[len(h.Restarts)-startBurst]
		if wait := oldest.Add(startWindow).Sub(now); wait > d.Delay {
			d.Delay, limited = wait, true
		}
	}
	d.History.Restarts = appendCapped(h.Restarts, now)
	switch {
	case limited:
		d.Reason = fmt.Sprintf("%s → start limit (%d in %s), restart in %s", e, startBurst, startWindow, roundHuman(d.Delay))
	case d.History.Fast >= 2:
		d.Reason = fmt.Sprintf("%s ×%d in %s → backoff %s", e, d.History.Fast,
			roundHuman(now.Sub(d.History.FastSince)), roundHuman(d.Delay))
	case d.Delay > 0:
		d.Reason = fmt.Sprintf("%s → restart in %s", e, roundHuman(d.Delay))
	default:
		d.Reason = e.String() + " → restart now"
	}
	return d
}

// backoff returns the delay before the n-th consecutive fast restart (n ≥ 1):
// base (default 100ms) doubling to a 30s cap, spread by ±10% jitter.
func backoff(base time.Duration, n int, jitter float64) time.Duration {
	d := base
	if d <= 0 {
		d = backoffBase
	}
	for i := 1; i < n && d < backoffCap; i++ {
		d *= 2
	}
	d = min(d, backoffCap)
	d = time.Duration(float64(d) * (0.9 + 0.2*jitter))
	return min(d, backoffCap)
}

func restartsSince(ts []time.Time, since time.Time) int {
	n := 0
	for _, t := range ts {
		if !t.Before(since) {
			n++
		}
	}
	return n
}

func appendCapped(ts []time.Time, t time.Time) []time.Time {
	out := append(slices.Clone(ts), t)
	if len(out) > historyCap {
		out = out[len(out)-historyCap:]
	}
	return out
}

// roundHuman keeps durations short in reasons: 3ms, 250ms, 3.2s, 1m30s.
func roundHuman(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
