package tend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// task is one task of a pool, as the channel brings it.
type task struct {
	ID        string          `json:"id"`
	Data      json.RawMessage `json:"data"`
	TimeoutMS int64           `json:"timeout_ms"`
}

// ServeTasks makes the program a worker of a task pool (an app with
// pool:): it says the program is ready, then calls fn for each task tend
// sends, each in a goroutine of its own (tend sends per_worker at once),
// with ctx cancelled at the task's timeout, and answers with fn's result
// (any value encoding/json takes) or its error. It returns once tend asks
// the program to stop (shutdown_with_message) or the channel closes, when
// the tasks in flight have been answered; with no channel, ErrNoChannel.
func ServeTasks(fn func(ctx context.Context, data json.RawMessage) (any, error)) error {
	if channel() == nil {
		return ErrNoChannel
	}
	r := &runner{fn: fn}
	defer r.close()
	ch.cmu.Lock()
	if ch.serve != nil || ch.ended {
		ch.cmu.Unlock()
		return errors.New("tend: ServeTasks is serving already, or the channel has ended")
	}
	// The reader starts each task itself: no hop through a queue
	// between the read and the task's goroutine.
	ch.serve = r.start
	ch.stop, ch.gone = make(chan struct{}), make(chan struct{})
	stop, gone := ch.stop, ch.gone
	ch.cmu.Unlock()
	startReading()
	if err := Ready(); err != nil {
		return err
	}
	select {
	case <-stop:
	case <-gone:
	}
	return nil
}

// runner runs tasks on goroutines it keeps: one that has answered waits
// for the next task instead of ending. A goroutine begins with a small
// stack, and encoding/json's calls grew a new one's, a copy of the whole
// stack, for every task: a quarter of an echo worker's CPU.
type runner struct {
	fn func(ctx context.Context, data json.RawMessage) (any, error)
	wg sync.WaitGroup // the tasks being run

	mu     sync.Mutex
	idle   []chan task // the goroutines waiting, last in first out (the warmest)
	closed bool
}

// start runs t on an idle goroutine, or a new one when none is idle: a
// task never waits for another to end.
func (r *runner) start(t task) {
	r.wg.Add(1)
	r.mu.Lock()
	if n := len(r.idle); n > 0 {
		next := r.idle[n-1]
		r.idle = r.idle[:n-1]
		r.mu.Unlock()
		next <- t // its room of one is empty while it is idle
		return
	}
	r.mu.Unlock()
	go r.loop(t)
}

func (r *runner) loop(t task) {
	next := make(chan task, 1)
	for {
		answer(t, r.fn)
		r.wg.Done()
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return
		}
		r.idle = append(r.idle, next)
		r.mu.Unlock()
		var ok bool
		if t, ok = <-next; !ok {
			return
		}
	}
}

// close waits for the tasks being run, then ends the idle goroutines; a
// task that comes later runs on a goroutine that ends after it.
func (r *runner) close() {
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, c := range r.idle {
		close(c)
	}
	r.idle = nil
}

// answer runs one task and sends its result or error.
func answer(t task, fn func(ctx context.Context, data json.RawMessage) (any, error)) {
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if t.TimeoutMS > 0 {
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t.TimeoutMS)*time.Millisecond)
	}
	defer cancel()
	v, err := run(ctx, t, fn)
	if err == nil {
		if b, merr := json.Marshal(v); merr != nil {
			err = fmt.Errorf("the result does not encode as JSON: %w", merr)
		} else {
			id, _ := json.Marshal(t.ID)
			line := make([]byte, 0, len(b)+len(id)+32)
			line = append(line, `{"type":"result","id":`...)
			line = append(line, id...)
			line = append(line, `,"data":`...)
			line = append(append(line, b...), "}\n"...)
			writeLine(line)
			return
		}
	}
	send(map[string]string{"type": "error", "id": t.ID, "message": err.Error()})
}

// run calls fn, turning a panic into the task's error.
func run(ctx context.Context, t task, fn func(ctx context.Context, data json.RawMessage) (any, error)) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(ctx, t.Data)
}

// The daemon writes every task in one form (internal/pool's taskLine):
//
//	{"type":"task","id":"ID","data":DATA,"timeout_ms":N}
//
// with an id of letters, digits and dashes and DATA the JSON it took.
const (
	taskHead    = `{"type":"task","id":"`
	taskData    = `","data":`
	taskTimeout = `,"timeout_ms":`
)

// taskOf reads a line in that form without encoding/json's reflection
// (a sixth of an echo worker's CPU went to decoding the envelope); ok is
// false for any other line, which the reader decodes in full. DATA is
// whatever lies between the id and the last timeout_ms: a timeout_ms
// inside DATA is followed by more than digits and the line's end.
func taskOf(line []byte) (t task, ok bool) {
	rest, ok := bytes.CutPrefix(line, []byte(taskHead))
	if !ok {
		return task{}, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 1 {
		return task{}, false
	}
	for _, c := range rest[:end] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return task{}, false
		}
	}
	id := rest[:end]
	rest, ok = bytes.CutPrefix(rest[end:], []byte(taskData))
	if !ok || len(rest) == 0 || rest[len(rest)-1] != '}' {
		return task{}, false
	}
	at := bytes.LastIndex(rest, []byte(taskTimeout))
	if at < 1 {
		return task{}, false
	}
	ms, err := strconv.ParseInt(string(rest[at+len(taskTimeout):len(rest)-1]), 10, 64)
	if err != nil || ms < 0 {
		return task{}, false
	}
	return task{ID: string(id), Data: bytes.Clone(rest[:at]), TimeoutMS: ms}, true
}
