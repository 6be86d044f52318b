// Package metrics measures process trees: memory and CPU summed over every
// member, and the facts `show` prints about a main process. It reads; it
// never signals or changes anything.
package metrics

import (
	"runtime"
	"time"

	"github.com/shirou/gopsutil/v4/process"

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

func readOne(pid int) (uint64, time.Duration) {
	p, err := process.NewProcess(int32(pid))
	if err != nil {
		return 0, 0
	}
	var rss uint64
	if m, err := p.MemoryInfo(); err == nil {
		rss = m.RSS
	}
	var cpu time.Duration
	if c, err := p.Times(); err == nil {
		cpu = time.Duration((c.User + c.System) * float64(time.Second))
	}
	return rss, cpu
}

// Percent is CPU use between two samples, in percent of one core.
func Percent(prev, cur Usage, wall time.Duration) float64 {
	if wall <= 0 || cur.CPU < prev.CPU {
		return 0
	}
	return float64(cur.CPU-prev.CPU) / float64(wall) * 100
}

// Read gathers facts about pid; what cannot be read is named in
// Unreadable rather than failing the whole.
func Read(pid int) (spec.ProcessFacts, error) {
	p, err := process.NewProcess(int32(pid))
	if err != nil {
		return spec.ProcessFacts{}, err
	}
	var f spec.ProcessFacts
	miss := func(what string, err error) bool {
		if err != nil {
			f.Unreadable = append(f.Unreadable, what)
			return true
		}
		return false
	}
	if v, err := p.Ppid(); !miss("ppid", err) {
		f.PPid = int(v)
	}
	if v, err := p.Cwd(); !miss("cwd", err) {
		f.Cwd = v
	}
	if v, err := p.Username(); !miss("user", err) {
		f.User = v
	}
	if v, err := p.Gids(); !miss("group", err) && len(v) > 0 {
		f.Group = groupName(v[0])
	}
	if v, err := p.Nice(); !miss("nice", err) {
		f.Nice = int(v)
		if runtime.GOOS == "linux" {
			f.Nice = 20 - int(v) // gopsutil passes on getpriority's raw 40..1 scale
		}
	}
	if v, err := p.CreateTime(); !miss("start time", err) {
		f.StartTime = time.UnixMilli(v)
	}
	if v, err := p.Times(); !miss("cpu times", err) {
		f.CPUUser, f.CPUSystem = v.User, v.System
	}
	if v, err := p.MemoryInfo(); !miss("memory", err) {
		f.RSS = v.RSS
	}
	if v, err := p.NumFDs(); !miss("fds", err) {
		f.FDs = int(v)
	}
	if v, err := p.NumThreads(); !miss("threads", err) {
		f.Threads = int(v)
	}
	if v, err := p.CmdlineSlice(); !miss("command", err) {
		f.Command = v
	}
	return f, nil
}
