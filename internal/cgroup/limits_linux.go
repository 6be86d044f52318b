package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits are what the kernel enforces on a run's whole tree. Zero fields
// set nothing.
type Limits struct {
	MemoryMax  int64   // bytes; the tree is killed together past it (OOM)
	MemoryHigh int64   // bytes; reclaim and throttling above it
	CPUQuota   float64 // cores: 0.5 is half of one core
	CPUWeight  int     // 1-10000, 100 the default share
	PidsMax    int     // processes and threads at most
}

// Controllers are the controllers l needs.
func (l Limits) Controllers() []string {
	var out []string
	if l.MemoryMax > 0 || l.MemoryHigh > 0 {
		out = append(out, "memory")
	}
	if l.CPUQuota > 0 || l.CPUWeight > 0 {
		out = append(out, "cpu")
	}
	if l.PidsMax > 0 {
		out = append(out, "pids")
	}
	return out
}

// cpuPeriod is the CFS period quotas are written against.
const cpuPeriod = 100 * time.Millisecond

// Enforcer applies limits to runs: through the v2 group itself where its
// hierarchy has the controllers, else through groups of the v1
// hierarchies (a hybrid host: v1 memory, cpu and pids beside a v2
// without controllers), which a run joins in its exec shim, before the
// app's first instruction.
type Enforcer struct {
	r    *Root // nil: no v2 group per run
	name string
	once sync.Once
	v1   map[string]string // controller → this daemon's directory in its v1 hierarchy
	// missing says, per controller, why neither can take it.
	missing map[string]string
}

// NewEnforcer returns the Enforcer of a daemon named name (tend-<hash>),
// beside its v2 root r (may be nil). It looks at the host when first
// asked, so a daemon whose apps set no limit touches no hierarchy.
func NewEnforcer(r *Root, name string) *Enforcer { return &Enforcer{r: r, name: name} }

// look finds what can enforce each controller, once; it removes the
// empty run groups a killed daemon of the same name left.
func (e *Enforcer) look() {
	e.once.Do(func() { e.v1, e.missing = find(e.r, e.name) })
}

func find(r *Root, name string) (v1, missing map[string]string) {
	v1, missing = map[string]string{}, map[string]string{}
	v2 := map[string]bool{}
	if r != nil {
		if b, err := os.ReadFile(filepath.Join(filepath.Dir(r.Dir), "cgroup.subtree_control")); err == nil {
			for _, c := range strings.Fields(string(b)) {
				v2[c] = true
			}
		}
		if enableV2(r, v2) != nil {
			clear(v2)
		}
	}
	for _, c := range []string{"memory", "cpu", "pids"} {
		if v2[c] {
			continue
		}
		dir, err := v1Dir(c, name)
		if err != nil {
			why := "cgroup v2 does not delegate it here"
			if r == nil {
				why = "no writable cgroup v2"
			}
			missing[c] = fmt.Sprintf("%s controller (%s, and cgroup v1's %s hierarchy is %v)", c, why, c, err)
			continue
		}
		if ents, err := os.ReadDir(dir); err == nil {
			for _, ent := range ents {
				if ent.IsDir() {
					os.Remove(filepath.Join(dir, ent.Name())) // empty ones go; a busy one stays
				}
			}
		}
		v1[c] = dir
	}
	return v1, missing
}

// enableV2 turns on the controllers the parent delegates in r's own
// subtree_control, so that each run's group has their files.
func enableV2(r *Root, have map[string]bool) error {
	var want []string
	for _, c := range []string{"memory", "cpu", "pids"} {
		if have[c] {
			want = append(want, "+"+c)
		}
	}
	if len(want) == 0 {
		return nil
	}
	return os.WriteFile(filepath.Join(r.Dir, "cgroup.subtree_control"), []byte(strings.Join(want, " ")), 0)
}

// v1Dir makes this daemon's directory in the v1 hierarchy of controller
// c, inside the group this process is in there.
func v1Dir(c, name string) (string, error) {
	mnt := filepath.Join("/sys/fs/cgroup", c)
	if _, err := os.Stat(filepath.Join(mnt, "cgroup.procs")); err != nil {
		return "", errors.New("not mounted")
	}
	own := "/"
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 && parts[1] != "" && strings.Contains(","+parts[1]+",", ","+c+",") {
			own = parts[2]
		}
	}
	dir := filepath.Join(mnt, own, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("not writable: %w", err)
	}
	return dir, nil
}

// Close removes this daemon's directories in the v1 hierarchies, once
// its runs' groups are gone (a busy one stays).
func (e *Enforcer) Close() {
	e.once.Do(func() {}) // after a look, see its result; without one, there is nothing
	for _, dir := range e.v1 {
		os.Remove(dir)
	}
}

// Check says what l needs that this host cannot enforce, or nil.
func (e *Enforcer) Check(l Limits) error {
	if len(l.Controllers()) == 0 {
		return nil
	}
	e.look()
	var miss []string
	for _, c := range l.Controllers() {
		if m, ok := e.missing[c]; ok {
			miss = append(miss, m)
		}
	}
	if len(miss) > 0 {
		return fmt.Errorf("cannot enforce these limits here: no %s", strings.Join(miss, "; no "))
	}
	return nil
}

// Mechanism says how the limits of a run are held, for show.
func (e *Enforcer) Mechanism(l Limits) string {
	e.look()
	var by []string
	for _, c := range l.Controllers() {
		if dir, ok := e.v1[c]; ok {
			by = append(by, c+" by cgroup v1 "+filepath.Dir(dir))
		} else {
			by = append(by, c+" by cgroup v2")
		}
	}
	return strings.Join(by, ", ")
}

// Applied is the limits of one run: the v1 groups it joins (their
// cgroup.procs files, for the exec shim), and what to remove at its end.
type Applied struct {
	Join []string // cgroup.procs of each v1 group
	dirs []string
	mem  string // the v1 memory group, for its OOM count
	v2   *Group
}

// Apply writes l for the run named name whose v2 group is g (nil when
// there is none).
func (e *Enforcer) Apply(name string, g *Group, l Limits) (*Applied, error) {
	if err := e.Check(l); err != nil {
		return nil, err
	}
	a := &Applied{v2: g}
	for _, c := range l.Controllers() {
		dir, ok := e.v1[c]
		if !ok {
			if g == nil {
				a.Remove()
				return nil, fmt.Errorf("limits: the run has no cgroup v2 group for %s", c)
			}
			if err := writeV2(g.Path, c, l); err != nil {
				a.Remove()
				return nil, err
			}
			continue
		}
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			a.Remove()
			return nil, fmt.Errorf("limits: %w", err)
		}
		a.dirs = append(a.dirs, d)
		if err := writeV1(d, c, l); err != nil {
			a.Remove()
			return nil, err
		}
		a.Join = append(a.Join, filepath.Join(d, "cgroup.procs"))
		if c == "memory" {
			a.mem = d
		}
	}
	return a, nil
}

// setting is one file of a group and what to write to it; optional ones
// may be missing (no swap accounting).
type setting struct {
	file, value string
	optional    bool
}

func writeV2(dir, c string, l Limits) error {
	var s []setting
	switch c {
	case "memory":
		if l.MemoryMax > 0 {
			s = append(s, setting{"memory.max", strconv.FormatInt(l.MemoryMax, 10), false},
				setting{"memory.oom.group", "1", false}, // the whole tree goes together
				setting{"memory.swap.max", "0", true})
		}
		if l.MemoryHigh > 0 {
			s = append(s, setting{"memory.high", strconv.FormatInt(l.MemoryHigh, 10), false})
		}
	case "cpu":
		if l.CPUQuota > 0 {
			s = append(s, setting{"cpu.max", fmt.Sprintf("%d %d", quota(l.CPUQuota), cpuPeriod.Microseconds()), false})
		}
		if l.CPUWeight > 0 {
			s = append(s, setting{"cpu.weight", strconv.Itoa(l.CPUWeight), false})
		}
	case "pids":
		s = append(s, setting{"pids.max", strconv.Itoa(l.PidsMax), false})
	}
	return writeAll(dir, s)
}

func writeV1(dir, c string, l Limits) error {
	var s []setting
	switch c {
	case "memory":
		if l.MemoryMax > 0 {
			v := strconv.FormatInt(l.MemoryMax, 10)
			// memory and swap together, so the limit is not met by
			// swapping; memsw after memory, which it may not be below.
			s = append(s, setting{"memory.limit_in_bytes", v, false}, setting{"memory.memsw.limit_in_bytes", v, true})
		}
		if l.MemoryHigh > 0 {
			// v1 has no throttle: the soft limit is where reclaim
			// pushes first under pressure.
			s = append(s, setting{"memory.soft_limit_in_bytes", strconv.FormatInt(l.MemoryHigh, 10), false})
		}
	case "cpu":
		if l.CPUQuota > 0 {
			s = append(s, setting{"cpu.cfs_period_us", strconv.FormatInt(cpuPeriod.Microseconds(), 10), false},
				setting{"cpu.cfs_quota_us", strconv.FormatInt(quota(l.CPUQuota), 10), false})
		}
		if l.CPUWeight > 0 {
			s = append(s, setting{"cpu.shares", strconv.Itoa(max(2, l.CPUWeight*1024/100)), false})
		}
	case "pids":
		s = append(s, setting{"pids.max", strconv.Itoa(l.PidsMax), false})
	}
	return writeAll(dir, s)
}

// quota is cores as microseconds of CPU per period.
func quota(cores float64) int64 { return max(1000, int64(cores*float64(cpuPeriod.Microseconds()))) }

// writeAll writes each setting in dir, in order.
func writeAll(dir string, s []setting) error {
	for _, st := range s {
		if err := os.WriteFile(filepath.Join(dir, st.file), []byte(st.value), 0); err != nil {
			if st.optional && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return fmt.Errorf("limits: write %s: %w", filepath.Join(dir, st.file), err)
		}
	}
	return nil
}

// OOMKills is how many processes the kernel killed for memory in the run.
func (a *Applied) OOMKills() int {
	var path, key string
	switch {
	case a.mem != "":
		path, key = filepath.Join(a.mem, "memory.oom_control"), "oom_kill "
	case a.v2 != nil:
		path, key = filepath.Join(a.v2.Path, "memory.events"), "oom_kill "
	default:
		return 0
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// Use is the current use against the limits, for show.
func (a *Applied) Use() (mem uint64, pids int) {
	read := func(p string) int64 {
		b, err := os.ReadFile(p)
		if err != nil {
			return -1
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return n
	}
	for _, d := range a.dirs {
		switch {
		case exists(filepath.Join(d, "memory.usage_in_bytes")):
			mem = uint64(max(0, read(filepath.Join(d, "memory.usage_in_bytes"))))
		case exists(filepath.Join(d, "pids.current")):
			pids = int(max(0, read(filepath.Join(d, "pids.current"))))
		}
	}
	if g := a.v2; g != nil {
		if v := read(filepath.Join(g.Path, "memory.current")); v >= 0 && mem == 0 {
			mem = uint64(v)
		}
		if v := read(filepath.Join(g.Path, "pids.current")); v >= 0 && pids == 0 {
			pids = int(v)
		}
	}
	return mem, pids
}

// Remove deletes the run's v1 groups once they are empty (the tree is
// gone by then; a moment's grace for the kernel's own accounting).
func (a *Applied) Remove() error {
	var errs []error
	for _, d := range a.dirs {
		var err error
		for i := 0; i < 50; i++ {
			if err = os.Remove(d); err == nil || errors.Is(err, os.ErrNotExist) {
				err = nil
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}
