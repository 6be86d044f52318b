// Package metrics measures process trees: memory, CPU, threads and open
// files summed over every member, the facts `show` prints about a main
// process, and a per-second history of each instance. It reads; it never
// signals or changes anything. On Linux everything comes from /proc (so
// the binary, CLI included, does not link and initialise gopsutil);
// elsewhere gopsutil reads what the process table lacks.
package metrics

import (
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

// Usage is a tree's resource use at one moment.
type Usage struct {
	RSS uint64 // bytes, summed over the tree
	// User and System are CPU time summed over the tree: its live
	// members' own and that of the children they reaped (Linux), and,
	// where the sampler knows more (a cgroup, the daemon's reaper), the
	// members that ended.
	User, System time.Duration
	Procs        int // live processes in the tree
	Threads      int // their threads
	FDs          int // their open file descriptors
}

// CPU is user plus system time.
func (u Usage) CPU() time.Duration { return u.User + u.System }

// Percent is CPU use between two samples, in percent of one core.
func Percent(prev, cur Usage, wall time.Duration) float64 {
	if wall <= 0 || cur.CPU() < prev.CPU() {
		return 0
	}
	return float64(cur.CPU()-prev.CPU()) / float64(wall) * 100
}

// missing notes in f that what could not be read when err is set, and
// reports whether it was.
func missing(f *spec.ProcessFacts, what string, err error) bool {
	if err != nil {
		f.Unreadable = append(f.Unreadable, what)
		return true
	}
	return false
}
