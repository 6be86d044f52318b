package supervisor

import (
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

// Each test below injects one drift between what an app is meant to be
// and what it is, behind the commands' back, and waits for the reconciler
// to mend it, within two of its periods and with its reason in events
// (not the minute of its sweep: the drift's own change wakes it).
const mendWithin = 2*reconcileEvery + time.Second

func reconApp(t *testing.T, n int) (*Supervisor, *MemStore) {
	t.Helper()
	s, st := newSup(t)
	a := helperApp("web", "sleep", "")
	a.Instances = n
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	for id := range n {
		waitInstance(t, s, "web", id, Online)
	}
	return s, st
}

func instanceState(s *Supervisor, name string, id int) View {
	v, err := s.Get(name)
	if err != nil || id >= len(v.Instances) {
		return View{}
	}
	return v.Instances[id]
}

func waitInstance(t *testing.T, s *Supervisor, name string, id int, want State) View {
	t.Helper()
	var v View
	testutil.WaitFor(t, 10*time.Second, name+" "+want.String(), func() bool {
		v = instanceState(s, name, id)
		return v.State == want
	})
	return v
}

func instanceOf(s *Supervisor, name string, id int) *instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apps[name].instances[id]
}

// waitReason waits for an event of app whose reason starts with prefix.
func waitReason(t *testing.T, st *MemStore, app, prefix string, within time.Duration) {
	t.Helper()
	testutil.WaitFor(t, within, "an event "+prefix, func() bool {
		return slices.ContainsFunc(st.Events(app), func(e spec.Event) bool { return strings.HasPrefix(e.Reason, prefix) })
	})
}

func TestReconcileStartsAnInstanceMeantToRun(t *testing.T) {
	s, st := reconApp(t, 2)
	// A stop the desired state never heard of, as a start that failed
	// midway leaves it.
	if err := instanceOf(s, "web", 1).send(command{kind: cmdStop, why: "injected"}); err != nil {
		t.Fatal(err)
	}
	waitReason(t, st, "web", "reconciler: meant to run, found stopped", mendWithin)
	waitInstance(t, s, "web", 1, Online)
}

func TestReconcileStopsAnInstanceMeantToBeStopped(t *testing.T) {
	s, st := reconApp(t, 2)
	if err := s.Stop("web:1"); err != nil {
		t.Fatal(err)
	}
	// A start nobody asked for, as a stop that failed midway leaves it.
	if err := instanceOf(s, "web", 1).send(command{kind: cmdStart, why: "injected"}); err != nil {
		t.Fatal(err)
	}
	waitReason(t, st, "web", "reconciler: meant to be stopped", mendWithin)
	waitInstance(t, s, "web", 1, Stopped)
	if v := instanceState(s, "web", 0); v.State != Online {
		t.Errorf("web:0 %s, want it left online", v.State)
	}
}

// TestALostRunIsRestarted: the main process's exit is taken by another
// waiter, so tend's reaper never reports it; the reaper's sweep finds the
// pid gone, the run ends as lost (failed) and the policy starts a new one.
func TestALostRunIsRestarted(t *testing.T) {
	s, st := reconApp(t, 1)
	for try := 0; ; try++ {
		pid := instanceState(s, "web", 0).Pid
		stolen := stealExit(pid)
		syscall.Kill(pid, syscall.SIGKILL)
		if err := <-stolen; err == nil {
			break
		} else if !errors.Is(err, syscall.ECHILD) || try == 10 {
			t.Fatalf("wait4(%d): %v", pid, err)
		}
		// tend's reaper won: an ordinary crash, restarted; try again.
		testutil.WaitFor(t, 10*time.Second, "a new run", func() bool {
			v := instanceState(s, "web", 0)
			return v.State == Online && v.Pid != pid
		})
	}
	waitReason(t, st, "web", "lost: pid", mendWithin)
	waitReason(t, st, "web", "restart #", 5*time.Second)
	waitInstance(t, s, "web", 0, Online)
}

// stealExit waits for pid's exit status in a wait4 of its own, which
// tend's reaper then never sees. Waiting already when the process dies,
// it is woken by the kernel before the reaper hears of SIGCHLD most of
// the time; the tests go on only when it won (a nil error).
func stealExit(pid int) <-chan error {
	stolen := make(chan error, 1)
	go func() {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		stolen <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the wait begin; a late one only loses the race
	return stolen
}

// TestStopEndsWhenTheExitIsLost: a stop whose SIGKILL'd process is
// reaped by another waiter still ends, soon after the kill.
func TestStopEndsWhenTheExitIsLost(t *testing.T) {
	s, st := newSup(t)
	a := helperApp("stubborn", "ignoreterm")
	a.KillTimeout = spec.Duration(200 * time.Millisecond)
	a.Ready, a.ReadyLogLine = spec.ReadyLog, "^ready$" // once SIGTERM is ignored
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	for try := 0; ; try++ {
		pid := waitState(t, s, "stubborn", Online).Pid
		stolen := stealExit(pid)
		stopped := make(chan error, 1)
		go func() { stopped <- s.Stop("stubborn") }()
		select {
		case err := <-stopped:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("stop still waiting 5s after a kill_timeout of 200ms")
		}
		if err := <-stolen; err == nil {
			break
		} else if !errors.Is(err, syscall.ECHILD) || try == 10 {
			t.Fatalf("wait4(%d): %v", pid, err)
		}
		if err := s.StartExisting("stubborn"); err != nil { // tend's reaper won; again
			t.Fatal(err)
		}
	}
	waitReason(t, st, "stubborn", "lost: pid", time.Second)
}

func TestReconcileResizes(t *testing.T) {
	s, st := reconApp(t, 2)
	// A scale that stored the count and then failed: the record changes
	// under the app's op lock, and the command ends.
	setCount := func(n int) {
		defer s.lockTarget("web")()
		s.mu.Lock()
		a := s.apps["web"]
		r := a.rec
		r.App = r.App.Clone()
		r.App.Instances = n
		a.rec = r
		s.mu.Unlock()
	}
	setCount(3)
	waitReason(t, st, "web", "reconciler: the app has 3 instances", mendWithin)
	waitInstance(t, s, "web", 2, Online)
	setCount(1)
	testutil.WaitFor(t, mendWithin, "one instance", func() bool {
		v, _ := s.Get("web")
		return len(v.Instances) == 1
	})
	waitReason(t, st, "web", "reconciler: beyond the app's 1 instances", time.Second)
}

// TestReconcileLeavesThePolicyAlone: an instance the restart policy left
// stopped (a clean exit with autorestart on-failure) stays stopped.
func TestReconcileLeavesThePolicyAlone(t *testing.T) {
	s, st := newSup(t)
	a := helperApp("once", "exit", "0")
	a.Autorestart = spec.RestartOnFailure
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitState(t, s, "once", Stopped)
	time.Sleep(mendWithin) // the claim is that nothing happens in this time
	if got := reasons(st, "once"); slices.ContainsFunc(got, func(r string) bool { return strings.Contains(r, "reconciler") }) {
		t.Errorf("the reconciler acted on a rested instance: %q", got)
	}
	if v := state(s, "once"); v.State != Stopped {
		t.Errorf("once %s, want stopped", v.State)
	}
}

// TestIdleReconcileAllocatesNothing: a pass with nothing to mend makes no
// garbage, so the reconciler does not grow the daemon while it idles.
func TestIdleReconcileAllocatesNothing(t *testing.T) {
	s, _ := reconApp(t, 4)
	if n := testing.AllocsPerRun(100, s.reconcile); n != 0 {
		t.Errorf("an idle reconcile pass allocates %.0f times", n)
	}
}
