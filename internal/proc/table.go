package proc

import (
	"sync"
	"time"

	"github.com/tend-pm/tend/internal/ptable"
)

// tableMaxAge is how old a process table a stop may act on. Every
// stopping tree without a cgroup polls for survivors; 500 of them each
// reading /proc every 20ms held a gigabyte of tables at once (issue 10).
// One shared table, read again at most this often, costs the same for one
// app or a thousand.
const tableMaxAge = 15 * time.Millisecond

// sharedTable is the last process table read, shared by every caller.
type sharedTable struct {
	mu  sync.Mutex // guards the fields; held across the read, so callers queue and reuse
	at  time.Time
	t   ptable.Table
	err error
}

// get returns a table no older than tableMaxAge. Callers must not change
// it.
func (s *sharedTable) get() (ptable.Table, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.t.Valid() || time.Since(s.at) > tableMaxAge {
		s.t, s.err = ptable.Snapshot()
		s.at = time.Now()
	}
	return s.t, s.err
}
