package metrics

import (
	"bytes"
	"errors"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

// clockTicks is USER_HZ; 100 on every Linux architecture Go supports.
const clockTicks = 100

// Read gathers facts about pid from /proc; what cannot be read is named
// in Unreadable rather than failing the whole.
func Read(pid int) (spec.ProcessFacts, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	stat, err := os.ReadFile(dir + "stat")
	if err != nil {
		return spec.ProcessFacts{}, err
	}
	var f spec.ProcessFacts
	miss := func(what string, err error) bool { return missing(&f, what, err) }
	if st, err := parseProcStat(stat); !miss("ppid", err) {
		f.PPid, f.Nice, f.Threads = st.ppid, st.nice, st.threads
		f.CPUUser = float64(st.utime) / clockTicks
		f.CPUSystem = float64(st.stime) / clockTicks
		f.RSS = st.rssPages * uint64(os.Getpagesize())
		if boot, err := bootTime(); !miss("start time", err) {
			f.StartTime = boot.Add(time.Duration(st.start) * time.Second / clockTicks)
		}
	}
	if v, err := os.Readlink(dir + "cwd"); !miss("cwd", err) {
		f.Cwd = v
	}
	if uid, gid, err := ids(dir + "status"); !miss("user", err) {
		f.User = uid
		if u, err := user.LookupId(uid); err == nil {
			f.User = u.Username
		}
		f.Group = gid
		if n, err := strconv.ParseUint(gid, 10, 32); err == nil {
			f.Group = groupName(uint32(n))
		}
	}
	if fds, err := os.ReadDir(dir + "fd"); !miss("fds", err) {
		f.FDs = len(fds)
	}
	if b, err := os.ReadFile(dir + "cmdline"); !miss("command", err) {
		if b = bytes.TrimSuffix(b, []byte{0}); len(b) > 0 {
			f.Command = strings.Split(string(b), "\x00")
		}
	}
	return f, nil
}

// ids returns the real uid and gid in a /proc/PID/status file.
func ids(path string) (uid, gid string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch k {
		case "Uid":
			uid = firstField(v)
		case "Gid":
			gid = firstField(v)
		}
	}
	if uid == "" || gid == "" {
		return "", "", errors.New("no Uid or Gid in " + path)
	}
	return uid, gid, nil
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// bootTime is when the system booted, from /proc/stat's btime.
func bootTime() (time.Time, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			return time.Unix(sec, 0), nil
		}
	}
	return time.Time{}, errors.New("no btime in /proc/stat")
}
