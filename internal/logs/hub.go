package logs

import (
	"sync"
	"sync/atomic"
	"time"
)

// Entry is one line as followers see it.
type Entry struct {
	Time     time.Time `json:"ts"`
	App      string    `json:"app"`
	Instance int       `json:"instance"`
	Stream   string    `json:"stream"` // "out" or "err"
	Line     string    `json:"line"`
}

// Hub fans lines out to followers. A follower that does not keep up loses
// lines from its own feed (it is told how many); the files never do.
type Hub struct {
	mu   sync.Mutex // guards subs
	subs map[*Follower]struct{}
	n    atomic.Int32 // len(subs), read without the lock
}

// Active reports whether anyone follows, so a writer can skip building
// entries nobody reads.
func (h *Hub) Active() bool { return h.n.Load() > 0 }

// Follower receives entries on C until Close.
type Follower struct {
	C       chan Entry
	hub     *Hub
	match   func(Entry) bool
	dropped int // guarded by hub.mu
}

// Follow subscribes to entries that match (nil: all).
func (h *Hub) Follow(match func(Entry) bool) *Follower {
	f := &Follower{C: make(chan Entry, 1024), hub: h, match: match}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[*Follower]struct{}{}
	}
	h.subs[f] = struct{}{}
	h.n.Store(int32(len(h.subs)))
	return f
}

// Close unsubscribes f.
func (f *Follower) Close() {
	f.hub.mu.Lock()
	defer f.hub.mu.Unlock()
	delete(f.hub.subs, f)
	f.hub.n.Store(int32(len(f.hub.subs)))
}

// Dropped says how many entries f missed by being slow.
func (f *Follower) Dropped() int {
	f.hub.mu.Lock()
	defer f.hub.mu.Unlock()
	return f.dropped
}

// Publish hands e to every matching follower without blocking.
func (h *Hub) Publish(e Entry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for f := range h.subs {
		if f.match != nil && !f.match(e) {
			continue
		}
		select {
		case f.C <- e:
		default:
			f.dropped++
		}
	}
}
