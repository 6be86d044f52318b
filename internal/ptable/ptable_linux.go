package ptable

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

var pageSize = uint64(os.Getpagesize())

// clockTicks is USER_HZ; 100 on every Linux architecture Go supports.
const clockTicks = 100

// Snapshot reads /proc.
func Snapshot() (Table, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return Table{}, fmt.Errorf("read process table: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return Table{}, fmt.Errorf("read process table: %w", err)
	}
	t := make(map[int]Entry, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if e, err := Read(pid); err == nil {
			t[pid] = e
		}
	}
	return NewTable(t), nil
}

// Read reads one process; an error means it is gone (or never was).
func Read(pid int) (Entry, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Entry{}, err
	}
	return parseStat(pid, b)
}

func parseStat(pid int, b []byte) (Entry, error) {
	lp, rp := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if lp < 0 || rp < lp || rp+2 >= len(b) {
		return Entry{}, fmt.Errorf("parse /proc/%d/stat: malformed", pid)
	}
	e := Entry{Pid: pid, Comm: string(b[lp+1 : rp])}
	f := bytes.Fields(b[rp+2:])
	// f[0] is field 3 (state) of proc(5).
	if len(f) < 22 {
		return Entry{}, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f))
	}
	num := func(i int) uint64 { v, _ := strconv.ParseUint(string(f[i]), 10, 64); return v }
	e.State = f[0][0]
	e.PPid, e.Pgid, e.Sid = int(num(1)), int(num(2)), int(num(3))
	e.CPU = time.Duration(num(11)+num(12)) * time.Second / clockTicks
	e.Start = num(19)
	e.RSS = num(21) * pageSize
	return e, nil
}
