// Package ptable reads the system's process table: who is whose parent, in
// which group and session, since when, and how much memory and CPU each
// uses. It exists so that proc (which must find every descendant to stop a
// tree) and metrics (which sums a tree's usage) share one reader without
// importing each other. It only reads; it never signals.
package ptable

import (
	"iter"
	"time"
)

// Entry is one process as the kernel reports it.
type Entry struct {
	Pid, PPid, Pgid, Sid int
	// Start identifies the process together with Pid across pid reuse
	// (clock ticks since boot on Linux, microseconds on macOS).
	Start uint64
	RSS   uint64        // resident memory in bytes
	CPU   time.Duration // user + system time
	Comm  string
	State byte // 'Z' for a zombie
}

// Table is a snapshot of the process table, indexed once by parent and by
// process group so that finding one tree's members costs its size, not
// the table's: the sampler walks every app's tree from one snapshot.
// A Table is never changed after it is made.
type Table struct {
	procs    map[int]Entry
	children map[int][]int
	groups   map[int][]int
}

// NewTable indexes entries.
func NewTable(entries map[int]Entry) Table {
	t := Table{procs: entries, children: make(map[int][]int, len(entries)), groups: map[int][]int{}}
	for pid, e := range entries {
		t.children[e.PPid] = append(t.children[e.PPid], pid)
		t.groups[e.Pgid] = append(t.groups[e.Pgid], pid)
	}
	return t
}

// Valid reports whether t was made (the zero Table is not).
func (t Table) Valid() bool { return t.procs != nil }

// Get returns pid's entry.
func (t Table) Get(pid int) (Entry, bool) {
	e, ok := t.procs[pid]
	return e, ok
}

// All yields every entry.
func (t Table) All() iter.Seq2[int, Entry] {
	return func(yield func(int, Entry) bool) {
		for pid, e := range t.procs {
			if !yield(pid, e) {
				return
			}
		}
	}
}

// Descendants returns the pids below root (root excluded), parents first.
func (t Table) Descendants(root int) []int {
	var out []int
	queue := []int{root}
	seen := map[int]bool{root: true}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range t.children[p] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
				queue = append(queue, c)
			}
		}
	}
	return out
}

// Group returns the pids whose process group is pgid.
func (t Table) Group(pgid int) []int {
	return t.groups[pgid]
}
