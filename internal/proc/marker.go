package proc

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/tend-pm/tend/internal/ptable"
)

// MarkerVar names the variable each run is started with: TEND_RUN=
// PREFIX.APP-ID.SEQ, PREFIX naming the daemon's home. Every process of
// the run inherits it, so a process that left the run's process group
// and lost its parent (a double fork into a new session) is still known
// as the run's: through it the subreaper attributes a reparented orphan
// at once, with no sampling gap, and the next daemon (or the keeper)
// finds what a killed daemon left. A process that wipes its environment
// is beyond this; a cgroup, where one can be made, holds it anyway.
const MarkerVar = "TEND_RUN"

// hasMarker reports whether pid's environment holds the entry kv
// ("TEND_RUN=…"), or one starting with it when prefix is set.
func hasMarker(pid int, kv string, prefix bool) bool {
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	for _, e := range bytes.Split(env, []byte{0}) {
		if prefix && bytes.HasPrefix(e, []byte(kv)) || !prefix && string(e) == kv {
			return true
		}
	}
	return false
}

// orphans returns the direct children of this process (the subreaper)
// in t that are no main process started here and carry p's marker, with
// their descendants.
func (p *Process) orphans(t ptable.Table) []int {
	if p.Marker == "" || p.spawner == nil {
		return nil
	}
	self := os.Getpid()
	var out []int
	for pid, e := range t.All() {
		if e.PPid != self || e.State == 'Z' || p.spawner.isMain(pid) || !hasMarker(pid, p.Marker, false) {
			continue
		}
		out = append(out, pid)
		out = append(out, t.Descendants(pid)...)
	}
	return out
}

// KillMarked sends SIGKILL to every process whose environment holds a
// marker starting with prefix (TEND_RUN=PREFIX.) and returns how many:
// what a daemon that was killed left behind. Processes of other users
// cannot be read, and are not this daemon's.
func KillMarked(prefix string) int {
	t, err := ptable.Snapshot()
	if err != nil {
		return 0
	}
	kv := MarkerVar + "=" + prefix + "."
	self := os.Getpid()
	n := 0
	for pid := range t.All() {
		if pid != self && hasMarker(pid, kv, true) && syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}

// Marker returns the TEND_RUN entry of a run of instance name of the
// daemon whose marker prefix is prefix.
func Marker(prefix, name string, seq uint64) string {
	return MarkerVar + "=" + prefix + "." + strings.ReplaceAll(name, "=", "-") + "." + strconv.FormatUint(seq, 10)
}
