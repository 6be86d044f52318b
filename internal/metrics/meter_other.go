//go:build !linux

package metrics

import (
	"time"

	"github.com/shirou/gopsutil/v4/process"
)

// member is one process of a tree, read through gopsutil each time.
type member struct {
	p    *process.Process
	seen bool
}

func openMember(pid int) *member {
	p, err := process.NewProcess(int32(pid))
	if err != nil {
		return nil
	}
	return &member{p: p}
}

func (m *member) close() {}

func (m *member) read(pid int, u *Usage) bool {
	if ok, _ := m.p.IsRunning(); !ok {
		return false
	}
	u.Procs++
	if v, err := m.p.MemoryInfo(); err == nil {
		u.RSS += v.RSS
	}
	if c, err := m.p.Times(); err == nil {
		u.User += seconds(c.User)
		u.System += seconds(c.System)
	}
	if n, err := m.p.NumThreads(); err == nil {
		u.Threads += int(n)
	}
	if n, err := m.p.NumFDs(); err == nil {
		u.FDs += int(n)
	}
	return true
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
