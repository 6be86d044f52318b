package spec

import (
	"slices"
	"syscall"
	"time"
)

// Desired is what the user asked an app to be.
type Desired string

// The desired states.
const (
	DesiredRunning Desired = "running"
	DesiredStopped Desired = "stopped"
)

// Record is an app as the store keeps it: the spec and the desired state.
type Record struct {
	App     *App    `json:"app"`
	Desired Desired `json:"desired"`
	// Stopped lists the instances stopped one by one (tend stop app:N)
	// while the app is meant to run: they stay down, across daemon
	// restarts too, until started again.
	Stopped []int `json:"stopped,omitempty"`
	// Created orders apps in listings (oldest first), as PM2's ids do.
	Created time.Time `json:"created"`
	// Invalid is set by a store that could not read the record whole:
	// why. App then holds only the name.
	Invalid string `json:"-"`
}

// Wants reports whether instance id of the app is meant to run.
func (r Record) Wants(id int) bool {
	return r.Desired == DesiredRunning && !slices.Contains(r.Stopped, id)
}

// Want returns r with only instance id's desired state changed: meant to
// run or not.
func (r Record) Want(id int, run bool) Record {
	var stopped []int
	switch {
	case r.Desired == DesiredRunning:
		stopped = slices.Clone(r.Stopped)
	case r.App != nil:
		for i := range r.App.Instances {
			stopped = append(stopped, i)
		}
	}
	stopped = slices.DeleteFunc(stopped, func(i int) bool { return i == id })
	if !run {
		stopped = append(stopped, id)
	}
	r.Desired, r.Stopped = DesiredRunning, stopped
	return r.Normalize()
}

// WantAll returns r with every instance meant to be d.
func (r Record) WantAll(d Desired) Record {
	r.Desired, r.Stopped = d, nil
	return r
}

// Normalize returns r with Stopped sorted, within the app's instances,
// and empty unless the app is meant to run with some instances up: every
// instance stopped is the app stopped.
func (r Record) Normalize() Record {
	if r.Desired != DesiredRunning || len(r.Stopped) == 0 {
		r.Stopped = nil
		return r
	}
	n := 0
	if r.App != nil {
		n = r.App.Instances
	}
	st := slices.Compact(slices.Sorted(slices.Values(r.Stopped)))
	st = slices.DeleteFunc(st, func(i int) bool { return i < 0 || i >= n })
	switch {
	case len(st) == 0:
		st = nil
	case len(st) == n:
		r.Desired, st = DesiredStopped, nil
	}
	r.Stopped = st
	return r
}

// Event is one thing that happened to an instance: a state change with
// its reason, or a note.
type Event struct {
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	App      string    `json:"app"`
	Instance int       `json:"instance"`
	From     string    `json:"from,omitempty"`
	To       string    `json:"to,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Pid      int       `json:"pid,omitempty"`
	// ExitCode and Signal are set on an exit.
	ExitCode *int   `json:"exit_code,omitempty"`
	Signal   string `json:"signal,omitempty"`
	// Stderr is the tail of stderr at a crash.
	Stderr []string `json:"stderr,omitempty"`
}

// ExitInfo is how an instance's last run ended.
type ExitInfo struct {
	Code   int       `json:"code"`
	Signal string    `json:"signal,omitempty"`
	Time   time.Time `json:"time"`
}

// SignalOf returns the name of sig, or "" for 0.
func SignalOf(sig syscall.Signal) string {
	if sig == 0 {
		return ""
	}
	return SignalName(sig)
}

// ProcessFacts are what `show` says about a running main process.
type ProcessFacts struct {
	PPid      int       `json:"ppid"`
	Cwd       string    `json:"cwd,omitempty"`
	User      string    `json:"user,omitempty"`
	Group     string    `json:"group,omitempty"`
	Nice      int       `json:"nice"`
	StartTime time.Time `json:"start_time"`
	CPUUser   float64   `json:"cpu_user_seconds"`
	CPUSystem float64   `json:"cpu_system_seconds"`
	RSS       uint64    `json:"rss_bytes"`
	FDs       int       `json:"open_fds"`
	Threads   int       `json:"threads"`
	Command   []string  `json:"command,omitempty"`
	// Unreadable names the facts that could not be read.
	Unreadable []string `json:"unreadable,omitempty"`
}

// ProbeStatus is a probe of a running instance as `show` gives it.
type ProbeStatus struct {
	Role    string `json:"role"` // health or readiness
	What    string `json:"what"` // GET http://127.0.0.1:3000/healthz
	Passing bool   `json:"passing"`
	// The last result: whether it passed, what was seen, how long it took.
	LastOK    bool      `json:"last_ok"`
	Last      string    `json:"last,omitempty"`
	LatencyMS float64   `json:"latency_ms"`
	At        time.Time `json:"at,omitzero"`
	Failures  int       `json:"failures"` // counted failures in a row
	// Output is the end of an exec probe's output, at most 4 KiB.
	Output string `json:"output,omitempty"`
}
