//go:build !linux

package metrics

import (
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/tend-pm/tend/internal/spec"
)

// Read gathers facts about pid; what cannot be read is named in
// Unreadable rather than failing the whole.
func Read(pid int) (spec.ProcessFacts, error) {
	p, err := process.NewProcess(int32(pid))
	if err != nil {
		return spec.ProcessFacts{}, err
	}
	var f spec.ProcessFacts
	miss := func(what string, err error) bool { return missing(&f, what, err) }
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
