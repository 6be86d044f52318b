package metrics

import (
	"errors"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-pm/tend/internal/reread"
)

var pageSize = uint64(os.Getpagesize())

// member is one process of a tree: its /proc/PID/stat, kept open. The
// descriptor belongs to that process, not to its pid: once it is reaped a
// read fails, even if the pid went to another process.
type member struct {
	stat *reread.File
	seen bool
}

func openMember(pid int) *member {
	f, err := reread.Open("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	return &member{stat: f}
}

func (m *member) close() { m.stat.Close() }

// read adds the process to u and reports whether it could be read; a
// zombie is read but adds nothing.
func (m *member) read(pid int, u *Usage) bool {
	var st procStat
	err := m.stat.Read(func(b []byte) error {
		var err error
		st, err = parseProcStat(b)
		return err
	})
	if err != nil {
		return false
	}
	if st.state == 'Z' {
		return true
	}
	u.Procs++
	u.RSS += st.rssPages * pageSize
	u.User += ticks(st.utime + st.cutime)
	u.System += ticks(st.stime + st.cstime)
	u.Threads += st.threads
	u.FDs += countFDs(pid)
	return true
}

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / clockTicks }

// countFDs is how many descriptors pid has open: the size the kernel
// gives its fd directory (Linux 6.2 and later), else the entries in it.
func countFDs(pid int) int {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return 0
	}
	if st.Size > 0 {
		return int(st.Size)
	}
	f, err := os.Open(dir)
	if err != nil {
		return 0
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	return len(names)
}

var (
	errMalformed = errors.New("malformed /proc/PID/stat")
	errShort     = errors.New("short /proc/PID/stat")
)

type procStat struct {
	state                        byte
	ppid, nice, threads          int
	utime, stime, cutime, cstime uint64
	start, rssPages              uint64
}

// parseProcStat reads the fields of proc(5)'s /proc/PID/stat that a
// tree's sum and show's facts need, without allocating: it runs for
// every member each second.
func parseProcStat(b []byte) (procStat, error) {
	var st procStat
	rp := -1
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ')' {
			rp = i
			break
		}
	}
	if rp < 0 || rp+2 >= len(b) {
		return st, errMalformed
	}
	// Field 3 (state) starts after ") "; count fields from there.
	field, i := 3, rp+2
	for i < len(b) && field <= 24 {
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != '\n' {
			j++
		}
		v := b[i:j]
		switch field {
		case 3:
			if len(v) > 0 {
				st.state = v[0]
			}
		case 4:
			st.ppid = int(atou(v))
		case 14:
			st.utime = atou(v)
		case 15:
			st.stime = atou(v)
		case 16:
			st.cutime = atou(v)
		case 17:
			st.cstime = atou(v)
		case 19:
			st.nice = atoi(v)
		case 20:
			st.threads = int(atou(v))
		case 22:
			st.start = atou(v)
		case 24:
			st.rssPages = atou(v)
		}
		field++
		i = j + 1
	}
	if field <= 24 {
		return st, errShort
	}
	return st, nil
}

// atoi parses a signed decimal (nice).
func atoi(b []byte) int {
	if len(b) > 0 && b[0] == '-' {
		return -int(atou(b[1:]))
	}
	return int(atou(b))
}

// atou parses a decimal; a negative field (cutime can be, in theory)
// counts as 0.
func atou(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}
