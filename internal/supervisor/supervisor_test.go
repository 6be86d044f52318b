package supervisor

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

func TestMain(m *testing.M) {
	testutil.RunHelperIfAsked()
	goleak.VerifyTestMain(m)
}

// reasons lists app's events as "from>to: reason".
func reasons(m *MemStore, app string) []string {
	var out []string
	for _, e := range m.Events(app) {
		out = append(out, e.From+">"+e.To+": "+e.Reason)
	}
	return out
}

func newSup(t *testing.T) (*Supervisor, *MemStore) {
	t.Helper()
	st := &MemStore{}
	return newSupOver(t, st), st
}

// ownSup is a supervisor over st with a spawner of its own, which the
// test shuts down itself (its spawner is closed with the test).
func ownSup(t *testing.T, st Store) (*Supervisor, *proc.Spawner) {
	t.Helper()
	sp, err := proc.NewSpawner()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sp.Close)
	return New(Config{Home: t.TempDir(), Store: st, Spawner: sp}), sp
}

// supAt is a supervisor over st and home with a spawner of its own, both
// the test's to shut down: two in turn over one home are one daemon
// after another.
func supAt(t *testing.T, st Store, home string) (*Supervisor, *proc.Spawner) {
	t.Helper()
	sp, err := proc.NewSpawner()
	if err != nil {
		t.Fatal(err)
	}
	return New(Config{Home: home, Store: st, Spawner: sp}), sp
}

// newSupOver is a supervisor over st, shut down with the test.
func newSupOver(t *testing.T, st Store) *Supervisor {
	t.Helper()
	s, sp := ownSup(t, st)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		sp.Close()
	})
	return s
}

func helperApp(name, helper string, args ...string) *spec.App {
	argv, env := testutil.HelperArgv(helper, args...)
	k, v, _ := strings.Cut(env, "=")
	mu := spec.Duration(50 * time.Millisecond)
	return &spec.App{Name: name, Script: argv[0], Args: argv[1:], Env: map[string]string{k: v}, MinUptime: &mu}
}

func state(s *Supervisor, name string) View {
	v, err := s.Get(name)
	if err != nil {
		panic(err)
	}
	return v.Instances[0]
}

func waitState(t *testing.T, s *Supervisor, name string, want State) View {
	t.Helper()
	var v View
	testutil.WaitFor(t, 10*time.Second, name+" "+want.String(), func() bool {
		v = state(s, name)
		return v.State == want
	})
	return v
}

func TestStartOnlineStop(t *testing.T) {
	s, st := newSup(t)
	if err := s.Add([]*spec.App{helperApp("web", "sleep")}, false); err != nil {
		t.Fatal(err)
	}
	v := waitState(t, s, "web", Online)
	if v.Pid == 0 {
		t.Fatal("online without a pid")
	}
	if err := s.Stop("web"); err != nil {
		t.Fatal(err)
	}
	if got := state(s, "web"); got.State != Stopped {
		t.Fatalf("after Stop returned: %s, want stopped", got.State)
	}
	if syscall.Kill(v.Pid, 0) == nil {
		t.Errorf("pid %d alive after stop", v.Pid)
	}
	got := reasons(st, "web")
	for _, w := range []string{"stopped>starting: started by tend start", "starting>online", "online>stopping: stopped by tend stop", "stopping>stopped"} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, w) }) {
			t.Errorf("events %q lack %q", got, w)
		}
	}
	if r, _ := st.Record("web"); r.Desired != spec.DesiredStopped {
		t.Errorf("desired state %q after stop, want stopped", r.Desired)
	}
}

func TestStopKillsAtKillTimeout(t *testing.T) {
	s, _ := newSup(t)
	a := helperApp("stubborn", "ignoreterm")
	a.KillTimeout = spec.Duration(300 * time.Millisecond)
	// Online once it says it ignores SIGTERM: at min_uptime (50ms) a
	// race-built helper under load may not have got there yet, and the
	// SIGTERM would end it (a full run failed so: exit by SIGTERM).
	a.Ready, a.ReadyLogLine = spec.ReadyLog, "^ready$"
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitState(t, s, "stubborn", Online)
	begin := time.Now()
	if err := s.Stop("stubborn"); err != nil {
		t.Fatal(err)
	}
	took := time.Since(begin)
	// The slack is for a loaded 2-core machine (a clean-clone CI run
	// took 512ms beside other work); the default kill_timeout is 10s.
	if took < 300*time.Millisecond || took > 800*time.Millisecond {
		t.Errorf("stop took %s; want kill_timeout 300ms + at most 500ms", took)
	}
	if v := state(s, "stubborn"); v.LastExit == nil || v.LastExit.Signal != "SIGKILL" {
		t.Errorf("last exit %+v, want SIGKILL", v.LastExit)
	}
}

func TestStopLeavesNoProcessOfTheTree(t *testing.T) {
	s, _ := newSup(t)
	if err := s.Add([]*spec.App{helperApp("tree", "forktree")}, false); err != nil {
		t.Fatal(err)
	}
	v := waitState(t, s, "tree", Online)
	in := s.allInstances()[0]
	var members []int
	testutil.WaitFor(t, 5*time.Second, "3 processes", func() bool {
		rest, _ := in.live.Load().p.Remaining()
		members = append(rest, v.Pid)
		return len(rest) == 2
	})
	if err := s.Stop("tree"); err != nil {
		t.Fatal(err)
	}
	// When stop returns, no process of the tree runs; a dead one may wait
	// a moment for the reaper, which must collect it.
	stat := func(pid int) (string, bool) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		return string(b), err == nil
	}
	for _, pid := range members {
		if b, ok := stat(pid); ok && !strings.Contains(b, ") Z ") {
			t.Errorf("pid %d still runs after stop returned: %s", pid, b)
		}
	}
	testutil.WaitFor(t, 5*time.Second, "the tree reaped", func() bool {
		for _, pid := range members {
			if _, ok := stat(pid); ok {
				return false
			}
		}
		return true
	})
}

func TestCrashLoopBacksOffThenGivesUp(t *testing.T) {
	s, st := newSup(t)
	a := helperApp("crash", "exit", "1", "boom")
	// Every run counts as fast however slow a loaded machine makes it.
	long := spec.Duration(10 * time.Second)
	a.MinUptime = &long
	a.MaxRestarts = 3
	a.RestartWindow = spec.Duration(time.Minute)
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	v := waitState(t, s, "crash", Errored)
	if v.Restarts != 3 {
		t.Errorf("restarts = %d, want 3", v.Restarts)
	}
	if !slices.Contains(v.Crash, "boom") {
		t.Errorf("crash tail %q lacks the stderr line", v.Crash)
	}
	r := strings.Join(reasons(st, "crash"), "\n")
	for _, w := range []string{"exit 1 → restart now", "×2 in", "×3 in", "→ backoff", "max_restarts 3", "exited>errored"} {
		if !strings.Contains(r, w) {
			t.Errorf("events lack %q:\n%s", w, r)
		}
	}
}

func TestOnFailureStaysDownAfterCleanExit(t *testing.T) {
	s, _ := newSup(t)
	a := helperApp("job", "exit", "0")
	a.Autorestart = spec.RestartOnFailure
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	v := waitState(t, s, "job", Stopped)
	if v.Restarts != 0 || v.LastExit == nil || v.LastExit.Code != 0 {
		t.Errorf("got restarts %d last exit %+v; want 0 restarts, exit 0", v.Restarts, v.LastExit)
	}
}

func TestAddRefusesBadInputAndChangesNothing(t *testing.T) {
	s, st := newSup(t)
	if err := s.Add([]*spec.App{helperApp("one", "sleep")}, false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		apps []*spec.App
		want string
	}{
		{[]*spec.App{helperApp("one", "sleep")}, "name already taken"},
		{[]*spec.App{{Name: "x", Script: "no-such-program-tend"}}, `exec: "no-such-program-tend": executable file not found in $PATH`},
		{[]*spec.App{helperApp("two", "sleep"), {Name: "bad name!", Script: "true"}}, `name "bad name!"`},
		{[]*spec.App{{Name: "y", Script: "true", StopSignal: "SIGFOO"}}, `invalid signal "SIGFOO"`},
	}
	for _, tt := range tests {
		err := s.Add(tt.apps, false)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Add = %v, want %q", err, tt.want)
		}
	}
	if stored, _ := st.Apps(); len(stored) != 1 || len(s.List()) != 1 {
		t.Errorf("store has %d apps, supervisor %d; want 1 each", len(stored), len(s.List()))
	}
	if err := s.Stop("nope"); err == nil || !strings.Contains(err.Error(), `unknown app "nope"`) {
		t.Errorf("Stop(nope) = %v", err)
	}
}

func TestRestartGivesNewPid(t *testing.T) {
	s, _ := newSup(t)
	if err := s.Add([]*spec.App{helperApp("r", "sleep")}, false); err != nil {
		t.Fatal(err)
	}
	old := waitState(t, s, "r", Online).Pid
	if err := s.Restart("r", nil); err != nil {
		t.Fatal(err)
	}
	// Restart returns once the new run is starting; its pid comes with
	// the fork, which a loaded machine can leave a moment behind (a
	// clean-clone CI run saw starting with pid 0).
	v := state(s, "r")
	if v.State != Starting && v.State != Online {
		t.Errorf("after restart: state %s, want starting or online", v.State)
	}
	testutil.WaitFor(t, 10*time.Second, "r's new pid", func() bool {
		v = state(s, "r")
		return v.Pid != 0
	})
	if v.Pid == old {
		t.Errorf("after restart: pid %d, the old one", v.Pid)
	}
	if syscall.Kill(old, 0) == nil {
		t.Errorf("old pid %d alive", old)
	}
}

func TestScaleUpAndDown(t *testing.T) {
	s, st := newSup(t)
	if err := s.Add([]*spec.App{helperApp("w", "sleep")}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Scale("w", 3); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "3 online", func() bool {
		v, _ := s.Get("w")
		n := 0
		for _, in := range v.Instances {
			if in.State == Online {
				n++
			}
		}
		return n == 3
	})
	v, _ := s.Get("w")
	gone := v.Instances[2].Pid
	if err := s.Scale("w", 2); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("w"); len(v.Instances) != 2 {
		t.Fatalf("%d instances after scaling to 2", len(v.Instances))
	}
	if syscall.Kill(gone, 0) == nil {
		t.Errorf("w:2 (pid %d) still alive after scaling down", gone)
	}
	if r, _ := st.Record("w"); r.App.Instances != 2 {
		t.Errorf("stored instances %d, want 2", r.App.Instances)
	}
	if err := s.Scale("w", 0); err == nil {
		t.Error("Scale(0) succeeded")
	}
}
