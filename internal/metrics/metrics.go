// Package metrics measures process trees: memory and CPU summed over every
// member, and the facts `show` prints about a main process. It reads; it
// never signals or changes anything. On Linux everything comes from /proc
// (so the binary, CLI included, does not link and initialise gopsutil);
// elsewhere gopsutil reads what the process table lacks.
package metrics

import (
	"time"

	"github.com/tend-pm/tend/internal/ptable"
	"github.com/tend-pm/tend/internal/spec"
)

// Usage is a tree's resource use at one moment.
type Usage struct {
	RSS   uint64        // bytes, summed over the tree
	CPU   time.Duration // user+system, summed over the live members
	Procs int           // live processes in the tree
}

// Sum adds up the usage of pids in t. Where the table lacks memory and CPU
// (macOS), each member is read on its own.
func Sum(t ptable.Table, pids []int) Usage {
	var u Usage
	for _, pid := range pids {
		e, ok := t.Get(pid)
		if !ok {
			continue
		}
		u.Procs++
		if e.RSS == 0 && e.CPU == 0 {
			e.RSS, e.CPU = readOne(pid)
		}
		u.RSS += e.RSS
		u.CPU += e.CPU
	}
	return u
}

// Percent is CPU use between two samples, in percent of one core.
func Percent(prev, cur Usage, wall time.Duration) float64 {
	if wall <= 0 || cur.CPU < prev.CPU {
		return 0
	}
	return float64(cur.CPU-prev.CPU) / float64(wall) * 100
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
