package supervisor

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

// burn is a shell loop that spends CPU and nothing else.
const burn = `i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done`

// burnedCPU reads what the burn that wrote its /proc/PID/stat to file
// spent: what it cost there and then, under whatever load the machine
// had (one burn measured alone beforehand varied by a fifth from those
// measured under a loaded suite, and the test's bound with it).
func burnedCPU(t *testing.T, file string) time.Duration {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command's parenthesis: state is 3, utime 14, stime 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		t.Fatalf("%s: %q", file, b)
	}
	user, _ := strconv.Atoi(f[11])
	sys, _ := strconv.Atoi(f[12])
	return time.Duration(user+sys) * 10 * time.Millisecond // USER_HZ, 100 on Linux
}

// A tree's CPU counts its processes that ended: one its shell waited for
// (the kernel's cutime of a live member, or the cgroup's account) and an
// orphan the daemon reaped (wait4's rusage, credited to the run that knew
// it), without a cgroup as with one. The instance's total goes on across
// its runs and never goes back.
func TestTreeCPUCountsEndedProcesses(t *testing.T) {
	for _, c := range []struct {
		name string
		sup  func(*testing.T) *Supervisor
	}{
		{"process group", func(t *testing.T) *Supervisor { s, _ := newSup(t); return s }},
		{"cgroup", newSupWithCgroups},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := c.sup(t)
			dir := t.TempDir()
			done := filepath.Join(dir, "done")
			b1, b2 := filepath.Join(dir, "b1"), filepath.Join(dir, "b2")
			// The first burn is waited for by the shell; the second runs
			// in a child whose parent exits at once, so the daemon (a
			// subreaper) reaps it; then the main process lives on. Each
			// burn writes down what it spent as it ends.
			script := `sh -c '` + burn + `; cat /proc/$$/stat > ` + b1 + `'; ( sh -c 'sleep 1.5; ` + burn + `; cat /proc/$$/stat > ` + b2 + `; touch ` + done + `' & ); exec sleep 100`
			app := &spec.App{Name: "cpu", Shell: true, Script: script, MinUptime: new(spec.Duration)}
			if err := s.Add([]*spec.App{app}, false); err != nil {
				t.Fatal(err)
			}
			testutil.WaitFor(t, 60*time.Second, "the second burn's end", func() bool {
				_, err := os.Stat(done)
				return err == nil
			})
			one, two := burnedCPU(t, b1), burnedCPU(t, b2)
			want := (one + two) * 9 / 10 // less the ticks' rounding
			var last View
			testutil.WaitFor(t, 5*time.Second, "tree CPU of both burns", func() bool {
				a, _ := s.Get("cpu")
				last = a.Instances[0]
				return last.Usage.CPU() >= want
			})
			t.Logf("burns %v and %v; tree %v (user %v, system %v), %d processes", one, two, last.Usage.CPU(), last.Usage.User, last.Usage.System, last.Usage.Procs)

			// Across runs: a restart ends the run, whose CPU stays counted.
			before := last.CPUTotal
			if err := s.Restart("cpu", nil); err != nil {
				t.Fatal(err)
			}
			seen := before
			testutil.WaitFor(t, 10*time.Second, "a second run", func() bool {
				a, _ := s.Get("cpu")
				v := a.Instances[0]
				if v.CPUTotal < seen {
					t.Fatalf("the CPU total went back from %v to %v", seen, v.CPUTotal)
				}
				seen = v.CPUTotal
				return v.Pid != last.Pid && v.State == Online
			})
			if seen < before {
				t.Errorf("after a restart the total is %v, before it %v", seen, before)
			}
		})
	}
}

// The history holds a sample for each second an instance runs.
func TestHistoryEverySecond(t *testing.T) {
	s, _ := newSup(t)
	if err := s.Add([]*spec.App{{Name: "h", Script: "sleep", Args: []string{"100"}, MinUptime: new(spec.Duration)}}, false); err != nil {
		t.Fatal(err)
	}
	waitState(t, s, "h", Online)
	time.Sleep(5500 * time.Millisecond)
	hs, err := s.UsageHistory("h", 5, time.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, smp := range hs[0].Samples {
		if smp.OK() {
			n++
			if smp.RSS() == 0 || smp.FDs() == 0 {
				t.Errorf("a sample with rss %d, fds %d", smp.RSS(), smp.FDs())
			}
		}
	}
	if n < 4 {
		t.Errorf("%d of the last 5 seconds measured, want at least 4 (a sample a second)", n)
	}
	if _, err := s.UsageHistory("nope", 5, time.Now()); err == nil {
		t.Error("the history of an unknown app")
	}
}

// An idle tree is carried over from its last reading while its cgroup's
// CPU account stands still; the moment it runs it is read whole: a shell
// that slept (idle) and then starts five more processes shows them at the
// next second, not at the next whole reading ten seconds on.
func TestIdleTreeIsReadAgainWhenItRuns(t *testing.T) {
	s := newSupWithCgroups(t)
	dir := t.TempDir()
	forked := filepath.Join(dir, "forked")
	script := `sleep 4; for i in 1 2 3 4 5; do sleep 1000 & done; touch ` + forked + `; wait`
	if err := s.Add([]*spec.App{{Name: "idle", Shell: true, Script: script, MinUptime: new(spec.Duration)}}, false); err != nil {
		t.Fatal(err)
	}
	waitState(t, s, "idle", Online)
	// The shell and its sleep 4, then the shell and five sleeps.
	testutil.WaitFor(t, 10*time.Second, "a first reading", func() bool {
		a, _ := s.Get("idle")
		return a.Instances[0].Usage.Procs == 2
	})
	testutil.WaitFor(t, 20*time.Second, "the forks", func() bool {
		_, err := os.Stat(forked)
		return err == nil
	})
	at := time.Now()
	testutil.WaitFor(t, 5*time.Second, "the shell and 5 sleeps", func() bool {
		a, _ := s.Get("idle")
		return a.Instances[0].Usage.Procs == 6
	})
	if d := time.Since(at); d > 2500*time.Millisecond {
		t.Errorf("the new processes showed after %v; want at the next second's sample", d)
	} else {
		t.Logf("the new processes showed after %v", d)
	}
}
