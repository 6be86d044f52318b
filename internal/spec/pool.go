package spec

import (
	"fmt"
	"time"
)

// Pool makes an app's instances a task pool (DESIGN §10): tasks queued
// by `tend task` are handed to its online instances over the IPC
// channel, one answer each.
type Pool struct {
	// QueueMax is how many tasks may wait; a submit beyond it is refused
	// (queue full).
	QueueMax int `json:"queue_max,omitempty" yaml:"queue_max,omitempty"`
	// TaskTimeout bounds one attempt of a task; over it the worker is
	// replaced and the task retried or failed. It also bounds how long
	// tasks wait while no worker is online.
	TaskTimeout Duration `json:"task_timeout,omitempty" yaml:"task_timeout,omitempty"`
	// Retries is how many more attempts a task gets after its worker
	// crashed or ran over task_timeout: 0, the default, runs a task at
	// most once (a task that is not idempotent must not run twice).
	Retries int `json:"retries,omitempty" yaml:"retries,omitempty"`
	// PerWorker is how many tasks a worker has in flight at once.
	PerWorker int `json:"per_worker,omitempty" yaml:"per_worker,omitempty"`
	// MaxTasksPerWorker recycles a worker after so many tasks (0: never),
	// as Python's maxtasksperchild.
	MaxTasksPerWorker int `json:"max_tasks_per_worker,omitempty" yaml:"max_tasks_per_worker,omitempty"`
}

// Pool defaults.
const (
	DefaultQueueMax    = 10_000
	DefaultTaskTimeout = 30 * time.Second
	DefaultPerWorker   = 1
)

// Pool bounds: beyond them a number is a typo, not a wish.
const (
	maxQueue        = 10_000_000
	maxPerWorker    = 10_000
	maxRetries      = 100
	minTaskTimeout  = time.Millisecond
	maxTasksPerProc = 1_000_000_000
)

func (p *Pool) canonicalize() {
	if p.QueueMax == 0 {
		p.QueueMax = DefaultQueueMax
	}
	if p.TaskTimeout == 0 {
		p.TaskTimeout = Duration(DefaultTaskTimeout)
	}
	if p.PerWorker == 0 {
		p.PerWorker = DefaultPerWorker
	}
}

// checkPool reports every problem of a's pool.
func (a *App) checkPool() []error {
	p := a.Pool
	if p == nil {
		return nil
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &FieldError{App: a.Name, Key: "pool." + key, Msg: fmt.Sprintf(format, args...)})
	}
	if p.QueueMax < 0 || p.QueueMax > maxQueue {
		bad("queue_max", "%d: want 1 to %d tasks waiting", p.QueueMax, maxQueue)
	}
	if d := p.TaskTimeout.D(); d < 0 || d > maxDuration || (d > 0 && d < minTaskTimeout) {
		bad("task_timeout", "%s: want %s to %s", p.TaskTimeout, minTaskTimeout, maxDuration)
	}
	if p.Retries < 0 || p.Retries > maxRetries {
		bad("retries", "%d: want 0 to %d", p.Retries, maxRetries)
	}
	if p.PerWorker < 0 || p.PerWorker > maxPerWorker {
		bad("per_worker", "%d: want 1 to %d tasks in flight per worker", p.PerWorker, maxPerWorker)
	}
	if p.MaxTasksPerWorker < 0 || p.MaxTasksPerWorker > maxTasksPerProc {
		bad("max_tasks_per_worker", "%d: want 0 (never recycle) to %d", p.MaxTasksPerWorker, maxTasksPerProc)
	}
	if a.IPC == IPCOff {
		errs = append(errs, &FieldError{App: a.Name, Key: "pool", Msg: "needs the IPC channel, which ipc: off closes: remove ipc: off"})
	}
	if a.IsJob() {
		errs = append(errs, &FieldError{App: a.Name, Key: "pool", Msg: "cannot go with schedule: a pool's workers run until stopped; make the job a task of a pool, or drop pool"})
	}
	return errs
}
