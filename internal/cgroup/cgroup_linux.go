package cgroup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-pm/tend/internal/reread"
)

// Root is the directory under which the groups of one daemon live.
type Root struct {
	Dir string
	// noMemory is set once a group's memory.current is found missing:
	// the hierarchy has no memory controller for any of its groups (a
	// hybrid host's), so the sampler stops asking each tick.
	noMemory atomic.Bool
}

// Open finds a writable cgroup v2 hierarchy and makes (or reuses) the
// directory name inside the cgroup this process runs in. Groups left in
// it by an earlier daemon that died are killed and removed: their
// processes belong to nobody now.
func Open(name string) (*Root, error) {
	mnt, err := v2Mount()
	if err != nil {
		return nil, err
	}
	self, err := ownPath()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(mnt, self, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup v2 at %s is not writable: %w", mnt, err)
	}
	r := &Root{Dir: dir}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err != nil {
		return nil, fmt.Errorf("cgroup %s: %w", dir, err)
	}
	return r, nil
}

// Leftovers kills and removes every group under r (an earlier daemon's)
// and returns how many processes they held.
func (r *Root) Leftovers() (int, error) {
	ents, err := os.ReadDir(r.Dir)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		g := &Group{Path: filepath.Join(r.Dir, e.Name())}
		procs, _ := g.Procs()
		n += len(procs)
		if err := g.Kill(); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := g.waitEmpty(2 * time.Second); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := g.Remove(); err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// v2Mount returns where a cgroup2 hierarchy is mounted.
func v2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 36 35 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
		left, right, ok := strings.Cut(sc.Text(), " - ")
		if !ok || !strings.HasPrefix(right, "cgroup2 ") {
			continue
		}
		fields := strings.Fields(left)
		if len(fields) >= 5 && fields[3] == "/" {
			return fields[4], nil
		}
	}
	return "", errors.New("no cgroup v2 hierarchy is mounted")
}

// ownPath is this process's cgroup in the v2 hierarchy ("0::/path").
func ownPath() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p, nil
		}
	}
	return "", errors.New("this process has no cgroup v2 path")
}

// Group is one cgroup: one instance's run.
type Group struct {
	Path string
	root *Root // nil for a group not made by New

	// The files the sampler reads each second, kept open (reread).
	mu          sync.Mutex
	procs, cpu  *reread.File
	filesClosed bool
}

// file returns the kept-open file name of the group, opening it at first
// use.
func (g *Group) file(slot **reread.File, name string) (*reread.File, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.filesClosed {
		return nil, os.ErrClosed
	}
	if *slot == nil {
		f, err := reread.Open(filepath.Join(g.Path, name))
		if err != nil {
			return nil, err
		}
		*slot = f
	}
	return *slot, nil
}

// closeFiles lets go of the kept-open files.
func (g *Group) closeFiles() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, f := range []*reread.File{g.procs, g.cpu} {
		if f != nil {
			f.Close()
		}
	}
	g.procs, g.cpu, g.filesClosed = nil, nil, true
}

// New makes the group name under r; an existing one (a run that ended
// without its cleanup) is emptied first.
func (r *Root) New(name string) (*Group, error) {
	g := &Group{Path: filepath.Join(r.Dir, name), root: r}
	err := os.Mkdir(g.Path, 0o755)
	if errors.Is(err, os.ErrExist) {
		g.Kill()
		g.waitEmpty(time.Second)
		os.Remove(g.Path) // not g.Remove: that closes g's files for good
		err = os.Mkdir(g.Path, 0o755)
	}
	if err != nil {
		return nil, fmt.Errorf("make cgroup %s: %w", g.Path, err)
	}
	return g, nil
}

// Open returns a descriptor of the group's directory, for
// SysProcAttr.CgroupFD; the caller closes it after the fork.
func (g *Group) Open() (*os.File, error) {
	return os.OpenFile(g.Path, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
}

// Procs returns the pids in the group now.
func (g *Group) Procs() ([]int, error) {
	f, err := g.file(&g.procs, "cgroup.procs")
	if err != nil {
		return nil, err
	}
	var out []int
	err = f.Read(func(b []byte) error {
		// One pid a line, parsed in place: this runs each second.
		pid := 0
		for _, c := range b {
			switch {
			case c >= '0' && c <= '9':
				pid = pid*10 + int(c-'0')
			case c == '\n':
				out = append(out, pid)
				pid = 0
			}
		}
		return nil
	})
	return out, err
}

// Populated reports whether any process is left in the group.
func (g *Group) Populated() (bool, error) {
	b, err := os.ReadFile(filepath.Join(g.Path, "cgroup.events"))
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "populated "); ok {
			return v != "0", nil
		}
	}
	return false, fmt.Errorf("%s/cgroup.events has no populated line", g.Path)
}

// Signal sends sig to every process in the group and returns how many
// it reached.
func (g *Group) Signal(sig syscall.Signal) (int, error) {
	pids, err := g.Procs()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err == nil {
			n++
		}
	}
	return n, nil
}

// Kill ends every process of the group at once, those it forks while
// being killed included (cgroup.kill, Linux 5.14); on an older kernel,
// SIGKILL to each member until none is left.
func (g *Group) Kill() error {
	err := os.WriteFile(filepath.Join(g.Path, "cgroup.kill"), []byte("1"), 0)
	if err == nil || errors.Is(err, os.ErrNotExist) && !exists(g.Path) {
		return nil
	}
	for range 100 {
		n, serr := g.Signal(syscall.SIGKILL)
		if serr != nil || n == 0 {
			return serr
		}
	}
	return fmt.Errorf("kill cgroup %s: processes keep appearing", g.Path)
}

// CPU returns the CPU time the group's processes have used, ended ones
// included.
func (g *Group) CPU() (user, system time.Duration, err error) {
	f, err := g.file(&g.cpu, "cpu.stat")
	if err != nil {
		return 0, 0, err
	}
	err = f.Read(func(b []byte) error {
		for len(b) > 0 {
			var line []byte
			line, b, _ = bytes.Cut(b, []byte{'\n'})
			k, v, _ := bytes.Cut(line, []byte{' '})
			switch string(k) { // no allocation: the compiler compares in place
			case "user_usec":
				user = usec(v)
			case "system_usec":
				system = usec(v)
			}
		}
		return nil
	})
	return user, system, err
}

func usec(b []byte) time.Duration {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return time.Duration(n) * time.Microsecond
}

// Memory returns the group's memory.current, where the memory controller
// is enabled for it (a pure v2 host); an error where it is not (the
// hybrid host's v2 hierarchy has no controllers).
func (g *Group) Memory() (uint64, error) {
	if g.root != nil && g.root.noMemory.Load() {
		return 0, errNoMemory
	}
	b, err := os.ReadFile(filepath.Join(g.Path, "memory.current"))
	if errors.Is(err, os.ErrNotExist) && g.root != nil {
		g.root.noMemory.Store(true)
		return 0, errNoMemory
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}

var errNoMemory = errors.New("cgroup: no memory controller in this hierarchy")

// Remove deletes the group; it must be empty.
func (g *Group) Remove() error {
	g.closeFiles()
	if err := os.Remove(g.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove cgroup %s: %w", g.Path, err)
	}
	return nil
}

// waitEmpty waits up to d for a killed group to empty. Only for start-up
// and the odd leftover; a run's end is watched by its owner's timers.
func (g *Group) waitEmpty(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		pop, err := g.Populated()
		if err != nil || !pop {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup %s still has processes %s after SIGKILL", g.Path, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
