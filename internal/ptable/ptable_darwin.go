package ptable

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Snapshot reads the kernel's process list (sysctl kern.proc.all). Memory
// and CPU are not in that list on macOS; they stay zero here and metrics
// fills them per process where it needs them.
func Snapshot() (Table, error) {
	procs, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return Table{}, fmt.Errorf("read process table: %w", err)
	}
	t := make(map[int]Entry, len(procs))
	for _, p := range procs {
		e := Entry{
			Pid:   int(p.Proc.P_pid),
			PPid:  int(p.Eproc.Ppid),
			Pgid:  int(p.Eproc.Pgid),
			Start: uint64(time.Duration(p.Proc.P_starttime.Sec)*time.Second/time.Microsecond) + uint64(p.Proc.P_starttime.Usec),
			Comm:  unix.ByteSliceToString(p.Proc.P_comm[:]),
		}
		if p.Proc.P_stat == 5 { // SZOMB
			e.State = 'Z'
		}
		e.Sid = e.Pgid
		t[e.Pid] = e
	}
	return NewTable(t), nil
}

// Read reads one process; an error means it is gone.
func Read(pid int) (Entry, error) {
	p, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return Entry{}, err
	}
	if p.Proc.P_pid != int32(pid) {
		return Entry{}, fmt.Errorf("process %d: not found", pid)
	}
	return Entry{Pid: pid, PPid: int(p.Eproc.Ppid), Pgid: int(p.Eproc.Pgid),
		Start: uint64(time.Duration(p.Proc.P_starttime.Sec)*time.Second/time.Microsecond) + uint64(p.Proc.P_starttime.Usec)}, nil
}
