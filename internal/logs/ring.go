package logs

import "sync"

// Ring keeps the last N lines. It is safe for concurrent use. Its room
// grows with the lines it is given: an instance that never writes to
// stderr keeps none.
type Ring struct {
	mu    sync.Mutex // guards lines, next and full
	n     int
	lines []string
	next  int
	full  bool
}

// NewRing returns a ring of n lines.
func NewRing(n int) *Ring { return &Ring{n: max(n, 1)} }

// Add appends a line, forgetting the oldest when full.
func (r *Ring) Add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full && len(r.lines) < r.n {
		r.lines = append(r.lines, s)
		r.next = len(r.lines) % r.n
		r.full = r.next == 0
		return
	}
	r.lines[r.next] = s
	r.next = (r.next + 1) % r.n
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
	r.lines, r.next, r.full = nil, 0, false
}
