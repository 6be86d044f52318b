package api

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
)

// answers is a stream's way out: a task's end is added by the goroutine
// that ended it (a worker's reader, mostly) and written at the pool's
// Flush, once the answers read together are added: no goroutine of its
// own to wake for each answer, and no timer (arming one wakes the
// runtime's poller: either cost the pool's CPU task a tenth). While
// another reader holds answers for it, a Flush leaves the write to that
// reader's, up to streamFlush since the last write or 16 KiB: answers
// read at once by two readers go in one write (a write per reader's
// batch, at a hundred thousand answers a second, woke the client as
// often).
//
// A reader never waits for the client: it writes what the socket takes
// now, and what it does not take is left to a writer of the stream's own
// while the client is slow (a reader that waited held every task of its
// worker, anyone's, up to the write deadline). While more than
// answersHeld wait for the client, the stream reads no more of its tasks:
// the backpressure of a client that does not read. One that does not
// read for wait is gone (the tasks go on, unreported); so is one whose
// connection broke.
type answers struct {
	st     *stream
	cancel context.CancelFunc
	wait   time.Duration

	mu      sync.Mutex
	lines   []byte // answers added since the last write: the next chunk
	out     []byte // chunks the client has not taken yet
	spare   []byte // the writer's last, for out
	flushed time.Time
	holds   int  // readers with answers added and their Flush to come
	writing bool // the writer has out to write, and writes it
	gone    bool // the client is gone, or the stream ended: nothing more is written
	room    sync.Cond
	full    atomic.Bool // more than answersHeld wait: waitRoom waits
}

const (
	// streamFlush bounds how long a reader's Flush leaves its answers to
	// another's.
	streamFlush = time.Millisecond
	// answersChunk is the most added before a chunk is written
	// regardless of holds.
	answersChunk = 16 << 10
	// answersHeld is the most that waits for a slow client before the
	// stream stops reading its tasks; the answers of tasks already taken
	// are kept past it, until the client reads them or is gone.
	answersHeld = 1 << 20
)

func newAnswers(st *stream, cancel context.CancelFunc, wait time.Duration) *answers {
	a := &answers{st: st, cancel: cancel, wait: wait}
	a.room.L = &a.mu
	return a
}

func (a *answers) add(t apitype.Task) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gone {
		return
	}
	a.lines = append(appendTask(a.lines, t), '\n')
	if len(a.lines) >= 2*answersChunk {
		a.flush()
	}
}

// Hold says a Flush is to come for answers being added (pool.Flusher).
func (a *answers) Hold() {
	a.mu.Lock()
	a.holds++
	a.mu.Unlock()
}

// Flush writes what was added, unless another holds it and will
// (pool.Flusher).
func (a *answers) Flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.holds--
	if a.holds > 0 && time.Since(a.flushed) < streamFlush && len(a.lines) < answersChunk {
		return
	}
	a.flush()
}

// flush frames what was added as a chunk and writes what the client
// takes now; the rest is the writer's. a.mu is held.
func (a *answers) flush() {
	if a.gone || len(a.lines) == 0 {
		return
	}
	a.out = frame(a.out, a.lines)
	a.lines = a.lines[:0]
	if cap(a.lines) > 4*answersChunk {
		a.lines = nil
	}
	a.flushed = time.Now()
	if a.writing {
		a.full.Store(len(a.out) > answersHeld)
		return
	}
	n, err := a.st.raw.TryWrite(a.out)
	if err != nil {
		a.lost()
		return
	}
	if n == len(a.out) {
		a.out = a.out[:0]
		return
	}
	a.out = a.out[:copy(a.out, a.out[n:])]
	a.writing = true
	a.full.Store(len(a.out) > answersHeld)
	go a.write()
}

// write is the writer: it takes out to a slow client, waiting for it up
// to wait each time, until nothing is left.
func (a *answers) write() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for !a.gone && len(a.out) > 0 {
		b := a.out
		a.out = a.spare[:0]
		a.full.Store(false)
		a.room.Broadcast()
		a.mu.Unlock()
		a.st.SetWriteDeadline(time.Now().Add(a.wait))
		_, err := a.st.raw.Write(b)
		a.mu.Lock()
		a.spare = b[:0]
		if cap(b) > answersHeld {
			a.spare = nil
		}
		if err != nil {
			a.lost()
		}
	}
	a.writing = false
	a.room.Broadcast()
}

// waitRoom returns once the client has taken enough of its answers for
// the stream to read more of its tasks, or is gone.
func (a *answers) waitRoom() {
	if !a.full.Load() {
		return
	}
	a.mu.Lock()
	for !a.gone && a.full.Load() {
		a.room.Wait()
	}
	a.mu.Unlock()
}

// lost marks the client gone; a.mu is held.
func (a *answers) lost() {
	a.gone = true
	a.full.Store(false)
	a.room.Broadcast()
	a.cancel()
}

// close writes what is left, after the writer's; after it, nothing is:
// the handler returns.
func (a *answers) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.flush()
	for a.writing {
		a.room.Wait()
	}
	a.gone = true
	a.full.Store(false)
	a.room.Broadcast()
}

// frame appends p to dst as one chunk of a chunked response.
func frame(dst, p []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(p)), 16)
	dst = append(dst, "\r\n"...)
	dst = append(dst, p...)
	return append(dst, "\r\n"...)
}
