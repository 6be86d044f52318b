// Package ptable reads the system's process table: who is whose parent, in
// which group and session, since when, and how much memory and CPU each
// uses. It exists so that proc (which must find every descendant to stop a
// tree) and metrics (which sums a tree's usage) share one reader without
// importing each other. It only reads; it never signals.
package ptable

import "time"

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

// Table is a snapshot of the process table, by pid.
type Table map[int]Entry

// Descendants returns the pids below root (root excluded), parents first.
func (t Table) Descendants(root int) []int {
	children := make(map[int][]int, len(t))
	for _, e := range t {
		children[e.PPid] = append(children[e.PPid], e.Pid)
	}
	var out []int
	queue := []int{root}
	seen := map[int]bool{root: true}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
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
	var out []int
	for _, e := range t {
		if e.Pgid == pgid {
			out = append(out, e.Pid)
		}
	}
	return out
}
