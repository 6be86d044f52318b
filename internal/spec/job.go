package spec

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A job is an app with a schedule: it runs at each time of the schedule
// rather than being kept up. These are its pure rules; the supervisor's
// job loop carries them out.

// The values of concurrency: what a time of the schedule does while a
// run is still going.
const (
	ConcurrencyForbid  = "forbid"  // skip it, recorded (the default)
	ConcurrencyReplace = "replace" // stop the run, start a new one
	ConcurrencyAllow   = "allow"   // start one more, up to instances at once
)

// Concurrencies are the values concurrency may take.
var Concurrencies = []string{ConcurrencyForbid, ConcurrencyReplace, ConcurrencyAllow}

// The results of a job's run.
const (
	RunOK       = "ok"       // exited 0
	RunFailed   = "failed"   // exited non-zero, or by a signal
	RunTimeout  = "timeout"  // stopped at its timeout
	RunStopped  = "stopped"  // stopped by a command or the daemon's shutdown
	RunReplaced = "replaced" // stopped for the next run (concurrency: replace)
	RunSkipped  = "skipped"  // not started: a run was still going (forbid), or no slot was free (allow)
)

// JobRuns is how many runs a job's history keeps.
const JobRuns = 20

// JobRun is one run of a job, or one time it skipped.
type JobRun struct {
	Instance   int       `json:"instance"`
	Due        time.Time `json:"due,omitzero"` // the time of the schedule it ran for; zero for run-now
	Start      time.Time `json:"start"`
	DurationMS int64     `json:"duration_ms"`
	ExitCode   *int      `json:"exit_code,omitempty"`
	Signal     string    `json:"signal,omitempty"`
	Result     string    `json:"result"`
	Reason     string    `json:"reason,omitempty"`
	Stderr     []string  `json:"stderr,omitempty"` // its tail, on failure
}

// JobState is what a job keeps across daemon restarts: its history, and
// the last time of its schedule it has dealt with, for catch_up.
type JobState struct {
	LastDue time.Time `json:"last_due,omitzero"`
	Runs    []JobRun  `json:"runs,omitempty"`
}

// Record adds run to the history, in the order of their starts (a run
// is recorded when it ends, after the times it made skip), keeping the
// last JobRuns.
func (j *JobState) Record(run JobRun) {
	i := len(j.Runs)
	for i > 0 && j.Runs[i-1].Start.After(run.Start) {
		i--
	}
	j.Runs = slices.Insert(j.Runs, i, run)
	if n := len(j.Runs) - JobRuns; n > 0 {
		j.Runs = slices.Delete(j.Runs, 0, n)
	}
}

// IsJob reports whether a runs on a schedule.
func (a *App) IsJob() bool { return a.Schedule != "" }

// Missed returns the first time of c after last that is not after now:
// a run the daemon missed while it was down, or false. O(1) however
// long it was down: one catch-up run stands for all that were missed.
func Missed(c *Cron, last, now time.Time) (time.Time, bool) {
	if last.IsZero() {
		return time.Time{}, false
	}
	due := c.Next(last)
	return due, !due.After(now)
}

// checkJob reports what is wrong with a's schedule keys.
func (a *App) checkJob() []error {
	var errs []error
	field := func(key, msg string) { errs = append(errs, &FieldError{App: a.Name, Key: key, Msg: msg}) }
	if a.Schedule == "" {
		for key, set := range map[string]bool{"concurrency": a.Concurrency != "", "timeout": a.Timeout != 0, "catch_up": a.CatchUp} {
			if set {
				field(key, "is set without schedule: it is a job's key")
			}
		}
		return errs
	}
	if _, err := ParseCron(a.Schedule, a.CronTimezone); err != nil {
		if _, ok := err.(*zoneError); !ok { // cron_timezone's error is reported once, by cron_restart's check or below
			field("schedule", err.Error())
		} else if a.CronRestart == "" {
			field("cron_timezone", err.Error())
		}
	}
	if a.Concurrency != "" && !slices.Contains(Concurrencies, a.Concurrency) {
		field("concurrency", fmt.Sprintf("%q: want %s", a.Concurrency, strings.Join(Concurrencies, ", ")))
	}
	if a.Timeout != 0 && (a.Timeout.D() < 10*time.Millisecond || a.Timeout.D() > maxDuration) {
		field("timeout", fmt.Sprintf("%s: want 10ms to %s", a.Timeout, maxDuration))
	}
	if len(a.Listen) > 0 {
		field("schedule", "a job cannot have listen: sockets are for apps kept up")
	}
	return errs
}
