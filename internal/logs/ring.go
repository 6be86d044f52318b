package logs

import "sync"

// Ring keeps the last N lines. It is safe for concurrent use.
type Ring struct {
	mu    sync.Mutex // guards lines and next
	lines []string
	next  int
	full  bool
}

// NewRing returns a ring of n lines.
func NewRing(n int) *Ring { return &Ring{lines: make([]string, n)} }

// Add appends a line, forgetting the oldest when full.
func (r *Ring) Add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines[r.next] = s
	r.next = (r.next + 1) % len(r.lines)
	if r.next == 0 {
		r.full = true
	}
}

// Last returns up to n of the newest lines, oldest first.
func (r *Ring) Last(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []string
	if r.full {
		all = append(all, r.lines[r.next:]...)
	}
	all = append(all, r.lines[:r.next]...)
	if n < len(all) {
		all = all[len(all)-n:]
	}
	return all
}

// Reset forgets every line.
func (r *Ring) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.lines)
	r.next, r.full = 0, false
}
