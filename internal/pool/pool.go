// Package pool is a task pool over worker processes (DESIGN §10): a
// bounded queue of tasks handed to a pool's online workers over their IPC
// channel, one answer each; a retry after a worker's crash or a timeout;
// the results kept a while. It knows nothing of processes: the
// supervisor joins a worker when its instance comes online, drains it
// when it stops, and takes it out when its run ends.
package pool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

// Status is where a task is.
type Status string

// The statuses of a task.
const (
	Queued  Status = "queued"
	Running Status = "running"
	Done    Status = "done"
	Failed  Status = "failed"
	// Lost is a task the daemon ended before it did (a shutdown).
	Lost Status = "lost"
)

// Retention of ended tasks, for `tend task --id` and `tend tasks --failed`.
const (
	keepResults     = 10_000
	keepFor         = 10 * time.Minute
	keepResultBytes = 64 << 20 // results are dropped sooner beyond it
	keepFailed      = 1000
	keepFailedData  = 64 << 10 // a failed task's data is kept up to this size
	// maxQueuedBytes bounds the data waiting, whatever queue_max says: a
	// queue of large tasks is refused as full before it fills memory.
	maxQueuedBytes = 256 << 20
	// MaxTask is the largest task data (the IPC channel's line bound,
	// less the envelope).
	MaxTask = 1<<20 - 256
)

// Errors a submit may return; each wraps into one with the reason.
var (
	ErrFull     = errors.New("queue full")
	ErrStopped  = errors.New("the pool is stopped")
	ErrNoWorker = errors.New("no online worker")
	ErrTooLarge = errors.New("task too large")
	ErrNotJSON  = errors.New("task data is not JSON")
)

// Record is a task as readers see it: a copy.
type Record struct {
	ID       string          `json:"id"`
	Pool     string          `json:"pool"`
	Status   Status          `json:"status"`
	Worker   string          `json:"worker,omitempty"`
	Queued   time.Time       `json:"queued"`
	Started  time.Time       `json:"started,omitzero"`
	Ended    time.Time       `json:"ended,omitzero"`
	Attempts int             `json:"attempts"`
	Data     json.RawMessage `json:"data,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// Ended reports whether the task has ended.
func (s Status) Ended() bool { return s == Done || s == Failed || s == Lost }

// A task's pointers come first and its numbers last: the collector
// scans an object up to its last pointer, and a full queue holds
// queue_max of them.
type task struct {
	id     string
	data   json.RawMessage
	worker string
	result json.RawMessage
	err    string
	// done is closed when it ends; made only for one who waits (Done,
	// Get): a stream's tasks are told by notify.
	done   chan struct{}
	notify func(Record) // told once when it ends (a stream's)
	flush  Flusher      // told after notify, once per batch of ends
	w      *Worker      // while running
	// next is the task behind it in the queue (which is only ever taken
	// from its head), or, while it runs, the one given to its worker
	// after it; prev the one given before it.
	next, prev *task
	// tried names the instances earlier attempts ran on: a retry goes
	// to another one when one has room.
	tried []string

	queued, started, ended stamp
	// deadline is when the running attempt passes task_timeout (0 while
	// tasks given to its worker before it run: inflight), and timeout the
	// task_timeout it was given.
	deadline stamp
	timeout  time.Duration
	attempts int
	status   Status
}

// closedDone is the done of a task that ended before anyone asked.
var closedDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// doneChan is t's done, made now if no one asked before; with the
// pool's lock held.
func (t *task) doneChan() chan struct{} {
	switch {
	case t.done != nil:
	case t.status.Ended():
		t.done = closedDone
	default:
		t.done = make(chan struct{})
	}
	return t.done
}

func (t *task) record(pool string) Record {
	return Record{ID: t.id, Pool: pool, Status: t.status, Worker: t.worker, Queued: t.queued.Time(),
		Started: t.started.Time(), Ended: t.ended.Time(), Attempts: t.attempts, Data: t.data, Result: t.result, Error: t.err}
}

// Worker is one run of an instance, as the pool sees it.
type Worker struct {
	// Name is the instance's ("thumbs:2").
	Name string
	send func(line []byte) error

	// under the pool's mu:
	inflight inflight
	joined   bool
	draining bool
	paused   bool // online but not ready (its readiness probe fails): no new tasks for now
	left     bool
	done     int
	idle     chan struct{} // closed once draining with nothing in flight
	// timer fires at armed, the earliest deadline of its tasks in flight
	// when it was set: one timer a worker, reset, not one a task.
	timer *time.Timer
	armed time.Time

	// unflushed, held, ended and pace are the reader's own (Finish,
	// FlushAnswers and Linger), no lock.
	unflushed []Flusher
	held      []send // the tasks dispatched by its answers since the last FlushAnswers
	heldBy    *Pool
	ended     []endNote // Finish's, its room kept for the next
	pace      pace
}

// NewWorker is a worker named name that takes its tasks as lines, sent
// by send (the IPC channel's write, which must not block for long, nor
// keep the slice): one or more lines at a time, joined by newlines, with
// none at the end.
func NewWorker(name string, send func(line []byte) error) *Worker {
	return &Worker{Name: name, send: send}
}

// Hooks are what the pool asks of the supervisor, always outside its lock.
type Hooks struct {
	// Replace asks for w's process to be replaced: kind "task_timeout"
	// or "max_tasks_per_worker", why in words.
	Replace func(w *Worker, kind, why string)
	// Why, when set, says why no worker is online ("thumbs:0 errored:
	// exit 1 ×5 in 10s").
	Why func() string
	// Ended, when set, hears of every task that ended (metrics, events).
	Ended func(Record)
}

// Pool is one app's task pool.
type Pool struct {
	name  string
	hooks Hooks
	epoch string // this daemon's part of every task id

	mu       sync.Mutex
	set      spec.Pool
	head     *task // the queue: oldest first
	tail     *task
	queued   int
	qbytes   int
	room     chan struct{} // closed and replaced when a queued task leaves, while roomWait > 0
	roomWait int           // submits waiting for room
	workers  []*Worker     // joined, in join order
	rr       int           // where the next dispatch starts looking
	byID     map[string]*task
	seq      uint64
	stopped  string // why the pool takes no tasks ("" while it does)

	noWorker      time.Time // since when no worker takes tasks (zero: one does)
	noWorkerTimer *time.Timer

	kept      []*task // ended tasks, oldest first, for Get
	keptHead  int
	keptBytes int
	sweep     *time.Timer
	failed    []Record // the last keepFailed failures, a ring
	failedAt  int

	stats counters
	count Counter // told the tasks held, when set
}

// epoch names this daemon's life in task ids: a task id of an earlier
// daemon is known as such.
var epoch = strconv.FormatInt(time.Now().UnixMilli(), 36)

// New returns an empty pool named name (its app's) with settings set
// (canonical: defaults filled).
func New(name string, set spec.Pool, h Hooks) *Pool {
	return &Pool{name: name, set: set, hooks: h, epoch: epoch, byID: map[string]*task{},
		room: make(chan struct{}), noWorker: time.Now(), failed: make([]Record, 0, 16)}
}

// Update takes new settings; tasks in flight keep the timeout they had.
func (p *Pool) Update(set spec.Pool) {
	p.mu.Lock()
	p.set = set
	p.mu.Unlock()
}

// Name is the pool's (its app's).
func (p *Pool) Name() string { return p.name }

// Ticket is a submitted task.
type Ticket struct {
	ID string
	p  *Pool
	t  *task
}

// Done is closed when the task has ended.
func (k *Ticket) Done() <-chan struct{} {
	k.p.mu.Lock()
	defer k.p.mu.Unlock()
	return k.t.doneChan()
}

// Record is the task as it is now.
func (k *Ticket) Record() Record {
	k.p.mu.Lock()
	defer k.p.mu.Unlock()
	return k.t.record(k.p.name)
}

// SubmitOptions change how Submit behaves.
type SubmitOptions struct {
	// Wait, when set, makes a submit to a full queue wait for room until
	// it ends, rather than fail with ErrFull: the stream's backpressure.
	Wait context.Context
	// Notify, when set, is called once when the task ends, outside the
	// pool's lock.
	Notify func(Record)
	// Flush, when set, is told after Notify once the ends told with it
	// are all told: a stream gathers its notes and writes them at Flush,
	// one write for a batch of answers rather than one each (a write
	// wakes the client, and a goroutine woken for each answer cost the
	// daemon more than the answer did). Ends that Finish tells wait for
	// the worker's FlushAnswers; the others are flushed at once.
	Flush Flusher
}

// A Flusher writes what its Notify calls gathered. Hold comes before
// the first of a batch of ends told to it, Flush after the last: a
// Flusher held by two batches at once may leave the write to the last.
type Flusher interface {
	Hold()
	Flush()
}

// Submit queues a task with data (a JSON value) and hands it to a worker
// when one has room.
func (p *Pool) Submit(data json.RawMessage, o SubmitOptions) (*Ticket, error) {
	data = bytes.TrimSpace(data)
	if len(data) > MaxTask {
		return nil, fmt.Errorf("%w: %d bytes, over %d", ErrTooLarge, len(data), MaxTask)
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("%w: %.60q", ErrNotJSON, data)
	}
	if bytes.ContainsAny(data, "\r\n") { // the channel takes one line a task
		var b bytes.Buffer
		json.Compact(&b, data)
		data = b.Bytes()
	} else {
		data = bytes.Clone(data) // the caller's buffer is its own again
	}
	waiting := false
	for {
		p.mu.Lock()
		if waiting {
			p.roomWait--
			waiting = false
		}
		err := p.refusal(time.Now(), len(data))
		if err == nil {
			break
		}
		if !errors.Is(err, ErrFull) || o.Wait == nil {
			p.mu.Unlock()
			return nil, err
		}
		room := p.room
		p.roomWait++
		waiting = true
		p.mu.Unlock()
		select {
		case <-room:
		case <-o.Wait.Done():
			p.mu.Lock()
			p.roomWait--
			p.mu.Unlock()
			return nil, fmt.Errorf("%w (gave up waiting for room: %w)", err, o.Wait.Err())
		}
	}
	p.seq++
	t := &task{id: p.epoch + "-" + strconv.FormatUint(p.seq, 36), data: data, queued: stampOf(time.Now()),
		status: Queued, notify: o.Notify, flush: o.Flush}
	p.byID[t.id] = t
	p.push(t)
	p.stats.submitted++
	p.setCount()
	if len(p.usable()) == 0 {
		p.armNoWorker()
	}
	p.unlockAndDispatch(nil, nil)
	return &Ticket{ID: t.id, p: p, t: t}, nil
}

// refusal says why a task of n bytes cannot be queued now, or nil.
func (p *Pool) refusal(now time.Time, n int) error {
	switch {
	case p.stopped != "":
		return fmt.Errorf("%w: %s", ErrStopped, p.stopped)
	case p.queued >= p.set.QueueMax:
		return fmt.Errorf("%w: %d tasks waiting (queue_max %d)", ErrFull, p.queued, p.set.QueueMax)
	case p.qbytes+n > maxQueuedBytes:
		return fmt.Errorf("%w: %d MiB of task data waiting", ErrFull, p.qbytes>>20)
	}
	if !p.noWorker.IsZero() && len(p.usable()) == 0 {
		if gone := now.Sub(p.noWorker); gone > p.set.TaskTimeout.D() {
			return fmt.Errorf("%w of %s for %s (over task_timeout %s)%s", ErrNoWorker, p.name, gone.Round(time.Second), p.set.TaskTimeout, p.why())
		}
	}
	return nil
}

func (p *Pool) why() string {
	if p.hooks.Why == nil {
		return ""
	}
	if w := p.hooks.Why(); w != "" {
		return ": " + w
	}
	return ""
}

// Get returns the task id names, and a channel closed when it ends; ok
// is false for a task the pool does not know (or no longer keeps).
func (p *Pool) Get(id string) (Record, <-chan struct{}, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.byID[id]
	if !ok || (t.status.Ended() && t.ended.since(time.Now()) > keepFor) {
		return Record{}, nil, false
	}
	return t.record(p.name), t.doneChan(), true
}

// Earlier reports whether id names a task of an earlier daemon, and when
// that daemon started.
func Earlier(id string) (time.Time, bool) {
	e, _, ok := cutLast(id, '-')
	if !ok || e == epoch {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(e, 36, 64)
	if err != nil || ms <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

func cutLast(s string, sep byte) (before, after string, ok bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// FailedTasks returns the last failures, newest first.
func (p *Pool) FailedTasks() []Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Record, 0, len(p.failed))
	n := len(p.failed)
	for i := range n {
		out = append(out, p.failed[(p.failedAt-1-i+2*n)%n])
	}
	return out
}

// push appends t to the queue.
func (p *Pool) push(t *task) {
	t.next = nil
	if p.tail != nil {
		p.tail.next = t
	} else {
		p.head = t
	}
	p.tail = t
	p.queued++
	p.qbytes += len(t.data)
}

// pushFront puts a retried task first: it has waited longest.
func (p *Pool) pushFront(t *task) {
	t.next = p.head
	if p.head == nil {
		p.tail = t
	}
	p.head = t
	p.queued++
	p.qbytes += len(t.data)
}

// pop takes the first task out of the queue.
func (p *Pool) pop() *task {
	t := p.head
	p.head, t.next = t.next, nil
	if p.head == nil {
		p.tail = nil
	}
	p.queued--
	p.qbytes -= len(t.data)
	if p.roomWait > 0 {
		close(p.room) // a submit waiting for room may go on
		p.room = make(chan struct{})
	}
	return t
}

// takes reports whether w is given new tasks.
func (w *Worker) takes() bool { return !w.draining && !w.paused }

// usable lists the workers that take tasks now.
func (p *Pool) usable() []*Worker {
	var n int
	for _, w := range p.workers {
		if w.takes() {
			n++
		}
	}
	if n == len(p.workers) {
		return p.workers
	}
	out := make([]*Worker, 0, n)
	for _, w := range p.workers {
		if w.takes() {
			out = append(out, w)
		}
	}
	return out
}

// send is one task to write to a worker, outside the lock.
type send struct {
	w    *Worker
	t    *task
	line []byte
}

// dispatch hands queued tasks to workers with room, round robin, and
// returns what to write (appended to sends).
func (p *Pool) dispatch(sends []send) []send {
	for p.head != nil {
		w := p.nextWorker(p.head.tried)
		if w == nil {
			break
		}
		t := p.pop()
		t.status, t.w, t.worker, t.started = Running, w, w.Name, stampOf(time.Now())
		t.attempts++
		t.timeout, t.deadline = p.set.TaskTimeout.D(), 0
		if w.inflight.n == 0 {
			p.startClock(w, t, t.started)
		}
		w.inflight.add(t)
		sends = append(sends, send{w: w, t: t, line: taskLine(t, t.timeout)})
	}
	return sends
}

// nextWorker is the next worker with room, or nil; one not named in
// tried first.
func (p *Pool) nextWorker(tried []string) *Worker {
	n := len(p.workers)
	var fallback *Worker
	for i := range n {
		w := p.workers[(p.rr+i)%n]
		if !w.takes() || w.inflight.n >= p.set.PerWorker {
			continue
		}
		if len(tried) > 0 && slices.Contains(tried, w.Name) {
			if fallback == nil {
				fallback = w
			}
			continue
		}
		p.rr = (p.rr + i + 1) % n
		return w
	}
	return fallback
}

// taskLine is the message that hands t to a worker.
func taskLine(t *task, timeout time.Duration) []byte {
	b := make([]byte, 0, len(t.data)+len(t.id)+64)
	b = append(b, `{"type":"task","id":"`...)
	b = append(b, t.id...)
	b = append(b, `","data":`...)
	b = append(b, t.data...)
	b = append(b, `,"timeout_ms":`...)
	b = strconv.AppendInt(b, timeout.Milliseconds(), 10)
	return append(b, '}')
}

// deliver writes the tasks dispatch chose, each worker's in one write
// (lines joined by newlines, as the channel carries them) of at most
// batchBytes unless one line is longer: a write's timeout then covers
// what one line's did. A write that fails puts its tasks back first in
// the queue (those attempts are taken as never having reached the
// worker) and takes the worker out of dispatch: its channel is broken.
func (p *Pool) deliver(sends []send) {
	var buf []byte
	var in []int // the sends in buf
	for len(sends) > 0 {
		var again []send
		for i := range sends {
			w := sends[i].w
			if w == nil {
				continue // written with an earlier one
			}
			in = in[:0]
			size := -1
			for j := i; j < len(sends); j++ {
				if sends[j].w != w {
					continue
				}
				if len(in) > 0 && size+1+len(sends[j].line) > batchBytes {
					break
				}
				size += 1 + len(sends[j].line)
				in = append(in, j)
			}
			line := sends[i].line // one task: as it is
			if len(in) > 1 {
				buf = buf[:0]
				for k, j := range in {
					if k > 0 {
						buf = append(buf, '\n')
					}
					buf = append(buf, sends[j].line...)
				}
				line = buf
			}
			err := w.send(line)
			for _, j := range in {
				if err != nil {
					again = p.undeliverable(sends[j], err, again)
				}
				sends[j].w = nil
			}
		}
		sends = again
	}
}

// batchBytes bounds one write of tasks to a worker (deliver).
const batchBytes = 64 << 10

func (p *Pool) undeliverable(s send, err error, sends []send) []send {
	p.mu.Lock()
	var replace bool
	if s.t.w == s.w && s.t.status == Running {
		p.untake(s.w, s.t)
		s.t.attempts--
		s.t.status, s.t.w, s.t.worker, s.t.started = Queued, nil, "", 0
		p.pushFront(s.t)
		replace = !s.w.draining
		s.w.draining = true
		p.workerIdle(s.w)
	}
	sends = p.dispatch(sends)
	p.mu.Unlock()
	if replace && p.hooks.Replace != nil {
		p.hooks.Replace(s.w, "ipc", "its channel failed ("+err.Error()+")")
	}
	return sends
}

// Join makes w take tasks: its instance is online.
func (p *Pool) Join(w *Worker) {
	p.mu.Lock()
	if w.joined || w.left {
		p.mu.Unlock()
		return
	}
	w.joined = true
	p.workers = append(p.workers, w)
	if w.takes() {
		p.noWorker = time.Time{}
		p.stopNoWorker()
	}
	p.unlockAndDispatch(nil, nil)
}

// Pause stops giving w new tasks while on (its instance is online but
// fails its readiness probe), and gives them again once off; the tasks
// it has go on.
func (p *Pool) Pause(w *Worker, on bool) {
	p.mu.Lock()
	if w.paused == on || w.left {
		p.mu.Unlock()
		return
	}
	w.paused = on
	var sends []send
	if on {
		p.noteNoWorker()
	} else if w.joined && !w.draining {
		p.noWorker = time.Time{}
		p.stopNoWorker()
		sends = p.dispatch(nil)
	}
	p.mu.Unlock()
	p.deliver(sends)
}

// Drain stops giving w tasks (its instance is stopping) and returns how
// many it has in flight, and a channel closed once it has none.
func (p *Pool) Drain(w *Worker) (int, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w.draining = true
	if w.idle == nil {
		w.idle = make(chan struct{})
	}
	p.workerIdle(w)
	p.noteNoWorker()
	return w.inflight.n, w.idle
}

// workerIdle closes a draining worker's idle channel once it has nothing
// in flight.
func (p *Pool) workerIdle(w *Worker) {
	if w.draining && w.inflight.n == 0 && w.idle != nil {
		select {
		case <-w.idle:
		default:
			close(w.idle)
		}
	}
}

// Leave takes w out for good: its run ended, why ("exited (signal
// KILL)"). Its tasks in flight are retried on another worker, or fail.
func (p *Pool) Leave(w *Worker, why string) {
	p.mu.Lock()
	if w.left {
		p.mu.Unlock()
		return
	}
	w.left, w.draining = true, true
	if w.timer != nil {
		w.timer.Stop()
	}
	for i, x := range p.workers {
		if x == w {
			p.workers = append(p.workers[:i:i], p.workers[i+1:]...)
			break
		}
	}
	var ended []endNote
	for t := w.inflight.first; t != nil; t = w.inflight.first {
		w.inflight.remove(t)
		ended = p.retryOrFail(t, fmt.Sprintf("worker %s %s during the task", w.Name, why), ended)
	}
	if w.idle == nil {
		w.idle = make(chan struct{})
	}
	p.workerIdle(w)
	p.noteNoWorker()
	p.unlockAndDispatch(ended, nil)
}

// Finish ends the task id that w ran, with its result or, if failed, its
// error message. It reports whether w had that task in flight (a late
// answer of a task already retried elsewhere is not). The task's Flusher
// waits for w.FlushAnswers.
func (p *Pool) Finish(w *Worker, id string, result json.RawMessage, msg string, failed bool) bool {
	p.mu.Lock()
	t := p.byID[id]
	if t == nil || t.w != w || t.status != Running {
		p.mu.Unlock()
		return false
	}
	p.untake(w, t)
	w.done++
	ended := w.ended[:0]
	if failed {
		ended = p.end(t, Failed, nil, cmpOr(msg, "the worker answered with an error and no message"), ended)
	} else {
		ended = p.end(t, Done, bytes.Clone(result), "", ended)
	}
	var recycle string // why, read under the lock (Update writes set)
	if m := p.set.MaxTasksPerWorker; m > 0 && w.done >= m && !w.draining {
		w.draining = true
		recycle = fmt.Sprintf("ran %d tasks (max_tasks_per_worker %d)", w.done, m)
		p.noteNoWorker()
	}
	p.workerIdle(w)
	p.unlockAndDispatch(ended, w)
	clear(ended)
	w.ended = ended[:0]
	if recycle != "" && p.hooks.Replace != nil {
		p.hooks.Replace(w, "max_tasks_per_worker", recycle)
	}
	return true
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// grace is how long past task_timeout the pool waits before it replaces
// a worker: the worker is told the timeout (ServeTasks cancels its
// context then), and one that gives up at it and answers is not replaced;
// its answer reaches the pool a little after: after its own timer, its
// write, and the reader's linger, each of which a loaded host can delay
// by tens of ms (50 ms was missed under a full test run). A task that
// truly hangs costs the grace once, at most a second.
func grace(timeout time.Duration) time.Duration {
	return min(max(timeout/20, 250*time.Millisecond), time.Second)
}

// arm makes w's timer fire by at, if it is not set to fire sooner.
func (p *Pool) arm(w *Worker, at time.Time) {
	if !w.armed.IsZero() && !at.Before(w.armed) {
		return
	}
	w.armed = at
	if w.timer == nil {
		w.timer = time.AfterFunc(time.Until(at), func() { p.deadlines(w) })
		return
	}
	w.timer.Reset(time.Until(at))
}

// deadlines is w's timer firing: its first task in flight, the one
// whose clock runs, times out if past its deadline; else the timer is
// set again for it.
func (p *Pool) deadlines(w *Worker) {
	p.mu.Lock()
	w.armed = time.Time{}
	t := w.inflight.first
	if t == nil || w.left {
		p.mu.Unlock()
		return
	}
	if stampOf(time.Now()) < t.deadline {
		p.arm(w, t.deadline.Time())
		p.mu.Unlock()
		return
	}
	p.timedOut(w, t) // unlocks
}

// startClock starts the clock of t, now first of w's tasks in flight,
// at from.
func (p *Pool) startClock(w *Worker, t *task, from stamp) {
	t.deadline = from + stamp(t.timeout+grace(t.timeout))
	p.arm(w, t.deadline.Time())
}

// untake takes t out of w's tasks in flight; the clock of the next, if
// t was first, starts now.
func (p *Pool) untake(w *Worker, t *task) {
	if w.inflight.remove(t) && w.inflight.first != nil {
		p.startClock(w, w.inflight.first, stampOf(time.Now()))
	}
}

// timedOut ends the attempt of t on w, over its timeout: retried or
// failed, and w replaced (what it does with it is unknown: stuck, or
// looping); its other tasks end with it. It is called with the lock
// held, and unlocks.
func (p *Pool) timedOut(w *Worker, t *task) {
	p.untake(w, t)
	ended := p.retryOrFail(t, fmt.Sprintf("ran over task_timeout %s on worker %s", t.timeout, w.Name), nil)
	replace := !w.draining
	w.draining = true
	p.workerIdle(w)
	p.noteNoWorker()
	p.unlockAndDispatch(ended, nil)
	if replace && p.hooks.Replace != nil {
		p.hooks.Replace(w, "task_timeout", fmt.Sprintf("task %s ran over task_timeout %s", t.id, t.timeout))
	}
}

// Retry decides whether a task that has had attempts gets another,
// within retries: a pure function of the two.
func Retry(attempts, retries int) bool { return attempts <= retries }

// retryOrFail puts t, whose attempt ended for why, back first in the
// queue when it has retries left, else fails it with why.
func (p *Pool) retryOrFail(t *task, why string, ended []endNote) []endNote {
	if t.worker != "" && !slices.Contains(t.tried, t.worker) {
		t.tried = append(t.tried, t.worker)
	}
	if Retry(t.attempts, p.set.Retries) && p.stopped == "" {
		t.status, t.w, t.err = Queued, nil, why // the last reason, shown while it waits
		p.pushFront(t)
		p.stats.retried++
		if len(p.usable()) == 0 {
			p.armNoWorker()
		}
		return ended
	}
	if t.attempts > 1 {
		why += fmt.Sprintf(" (attempt %d of %d)", t.attempts, p.set.Retries+1)
	}
	return p.end(t, Failed, nil, why, ended)
}

// end ends t once, and keeps it a while.
func (p *Pool) end(t *task, st Status, result json.RawMessage, why string, ended []endNote) []endNote {
	if t.status.Ended() {
		return ended
	}
	now := time.Now()
	t.status, t.result, t.err, t.ended, t.w = st, result, why, stampOf(now), nil
	if st == Done {
		t.err = ""
	}
	if t.done != nil {
		close(t.done)
	}
	p.stats.ended(st, t.queued.since(now), now)
	p.setCount()
	if st != Done {
		r := t.record(p.name)
		if len(r.Data) > keepFailedData {
			r.Data = nil
		}
		if len(p.failed) < keepFailed {
			p.failed = append(p.failed, r)
			p.failedAt = len(p.failed) % keepFailed
		} else {
			p.failed[p.failedAt] = r
			p.failedAt = (p.failedAt + 1) % keepFailed
		}
	}
	p.keep(t, now)
	if t.notify == nil && p.hooks.Ended == nil {
		return append(ended, endNote{})
	}
	return append(ended, endNote{t.record(p.name), t.notify, t.flush})
}

// endNote is an ended task's record and who to tell, taken under the
// lock and told outside it.
type endNote struct {
	r      Record
	notify func(Record)
	flush  Flusher
}

// unlockAndDispatch ends a change made under the lock: queued tasks go
// to workers with room, then, outside the lock, the ended tasks are told
// (their Flushers kept for from's FlushAnswers, when from is set) and
// the tasks written to their workers. from is the worker whose answer
// this is (Finish, its reader): its pace learns what it holds now.
func (p *Pool) unlockAndDispatch(ended []endNote, from *Worker) {
	if from != nil {
		from.held, from.heldBy = p.dispatch(from.held), p
		from.pace.answered(from.inflight.n)
		p.mu.Unlock()
		p.tell(ended, from)
		return
	}
	sends := p.dispatch(nil)
	p.mu.Unlock()
	p.tell(ended, nil)
	p.deliver(sends)
}

// told calls the ended tasks' notifications, then their Flushers, outside
// the lock.
func (p *Pool) told(ended []endNote) { p.tell(ended, nil) }

// tell calls the ended tasks' notifications; their Flushers are told
// once each after them, or, with from, kept for from's FlushAnswers.
func (p *Pool) tell(ended []endNote, from *Worker) {
	var flush []Flusher
	if from != nil {
		flush = from.unflushed
	}
	for _, e := range ended {
		if e.notify != nil {
			e.notify(e.r)
		}
		if p.hooks.Ended != nil && e.r.ID != "" {
			p.hooks.Ended(e.r)
		}
		if e.flush != nil && !slices.Contains(flush, e.flush) {
			e.flush.Hold()
			flush = append(flush, e.flush)
		}
	}
	if from != nil {
		from.unflushed = flush
		return
	}
	for _, f := range flush {
		f.Flush()
	}
}

// FlushAnswers writes the tasks that the answers Finish took from w since
// the last call made room for, then tells those answers' Flushers. w's
// reader, the one caller of Finish for w, calls it once it holds no more
// answers already read: answers read together are written to their
// streams together, and the tasks they let in to their workers in one
// write each.
func (w *Worker) FlushAnswers() {
	if len(w.held) > 0 {
		w.heldBy.deliver(w.held)
		clear(w.held)
		w.held = w.held[:0]
	}
	for i, f := range w.unflushed {
		f.Flush()
		w.unflushed[i] = nil
	}
	w.unflushed = w.unflushed[:0]
}

// keep holds an ended task for Get, within keepResults, keepFor and
// keepResultBytes.
func (p *Pool) keep(t *task, now time.Time) {
	p.kept = append(p.kept, t)
	p.keptBytes += len(t.data) + len(t.result)
	p.evict(now)
	if p.sweep == nil {
		p.sweep = time.AfterFunc(keepFor, p.sweepKept)
	}
}

func (p *Pool) evict(now time.Time) {
	for p.keptHead < len(p.kept) {
		t := p.kept[p.keptHead]
		live := len(p.kept) - p.keptHead
		if live <= keepResults && p.keptBytes <= keepResultBytes && t.ended.since(now) <= keepFor {
			break
		}
		p.kept[p.keptHead] = nil
		p.keptHead++
		p.keptBytes -= len(t.data) + len(t.result)
		delete(p.byID, t.id)
	}
	// Compact once the dropped part is half: amortized O(1), and the
	// array does not grow for ever.
	if p.keptHead > 0 && p.keptHead*2 >= len(p.kept) {
		n := copy(p.kept, p.kept[p.keptHead:])
		clear(p.kept[n:])
		p.kept, p.keptHead = p.kept[:n], 0
		if cap(p.kept) > 4*keepResults && n < keepResults {
			p.kept = append(make([]*task, 0, keepResults), p.kept...)
		}
	}
}

// sweepKept drops results older than keepFor from an idle pool.
func (p *Pool) sweepKept() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.evict(time.Now())
	p.sweep = nil
	if len(p.kept) > p.keptHead {
		p.sweep = time.AfterFunc(keepFor, p.sweepKept)
	} else {
		p.kept = nil
	}
}

// noteNoWorker records when the last worker stopped taking tasks.
func (p *Pool) noteNoWorker() {
	if len(p.usable()) == 0 && p.noWorker.IsZero() {
		p.noWorker = time.Now()
		if p.head != nil {
			p.armNoWorker()
		}
	}
}

// armNoWorker fails the queued tasks if no worker takes them within
// task_timeout.
func (p *Pool) armNoWorker() {
	if p.noWorkerTimer != nil {
		return
	}
	since := p.noWorker
	if since.IsZero() {
		since = time.Now()
	}
	wait := p.set.TaskTimeout.D() - time.Since(since)
	p.noWorkerTimer = time.AfterFunc(max(wait, 0), p.noWorkerPassed)
}

func (p *Pool) stopNoWorker() {
	if p.noWorkerTimer != nil {
		p.noWorkerTimer.Stop()
		p.noWorkerTimer = nil
	}
}

func (p *Pool) noWorkerPassed() {
	p.mu.Lock()
	p.noWorkerTimer = nil
	if len(p.usable()) > 0 || p.head == nil {
		p.mu.Unlock()
		return
	}
	if p.noWorker.IsZero() {
		p.noWorker = time.Now()
	}
	gone := time.Since(p.noWorker)
	if gone < p.set.TaskTimeout.D() {
		p.armNoWorker()
		p.mu.Unlock()
		return
	}
	ended := p.failQueued(fmt.Sprintf("no online worker of %s for %s (task_timeout %s)%s", p.name, gone.Round(time.Millisecond), p.set.TaskTimeout, p.why()), Failed)
	p.mu.Unlock()
	p.told(ended)
}

// failQueued ends every queued task with st, for why.
func (p *Pool) failQueued(why string, st Status) []endNote {
	var ended []endNote
	for p.head != nil {
		ended = p.end(p.pop(), st, nil, why, ended)
	}
	return ended
}

// Stop refuses new tasks, for why ("stopped by tend stop"), and fails
// the queued ones; tasks in flight go on, as their workers drain.
func (p *Pool) Stop(why string) {
	p.mu.Lock()
	if p.stopped != "" {
		p.mu.Unlock()
		return
	}
	p.stopped = why
	ended := p.failQueued("the pool was stopped while the task waited ("+why+")", Failed)
	p.mu.Unlock()
	p.told(ended)
}

// Start takes tasks again.
func (p *Pool) Start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped == "" {
		return
	}
	p.stopped = ""
	if len(p.usable()) == 0 {
		p.noWorker = time.Now() // the workers are starting: give them task_timeout
	}
}

// Close ends the pool for why: tasks queued and in flight end as lost
// (the daemon is shutting down) and no task is taken any more. It
// returns how many were lost.
func (p *Pool) Close(why string) int {
	p.mu.Lock()
	p.stopped = why
	ended := p.failQueued("lost: "+why+" while the task waited; the pool is not a durable queue", Lost)
	for _, w := range p.workers {
		for t := w.inflight.first; t != nil; t = w.inflight.first {
			w.inflight.remove(t)
			ended = p.end(t, Lost, nil, "lost: "+why+" while the task ran on "+w.Name, ended)
		}
	}
	p.stopNoWorker()
	if p.sweep != nil {
		p.sweep.Stop()
	}
	p.mu.Unlock()
	p.told(ended)
	return len(ended)
}
