package supervisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/pool"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/tally"
	"github.com/tend-pm/tend/internal/testutil"
)

// The task pool's guarantees (issue 15), each over real worker processes
// (testutil's poolworker, on pkg/tend's ServeTasks).

func poolApp(name string, n int, p spec.Pool, args ...string) *spec.App {
	a := helperApp(name, "poolworker", args...)
	a.Instances, a.Pool = n, &p
	return a
}

// nodePoolApp is a pool of one Node worker, which runs one task at a
// time, in order: {"busy_ms": N} keeps its event loop busy N ms, then
// answers its pid; {"kill": true} SIGKILLs it.
func nodePoolApp(t *testing.T, name string, p spec.Pool) *spec.App {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI installs node (.ci/run): this test must not skip there")
		}
		t.Skip("needs node")
	}
	script := filepath.Join(t.TempDir(), "worker.js")
	if err := os.WriteFile(script, []byte(`
process.on('message', (m) => {
  if (!m || m.type !== 'task') return;
  if (m.data.kill) process.kill(process.pid, 'SIGKILL');
  const end = Date.now() + m.data.busy_ms;
  while (Date.now() < end) {}
  process.send({ type: 'result', id: m.id, data: process.pid });
});
process.send('ready');
`), 0o644); err != nil {
		t.Fatal(err)
	}
	mu := spec.Duration(50 * time.Millisecond)
	return &spec.App{Name: name, Script: script, Interpreter: node, Instances: 1, MinUptime: &mu, Pool: &p}
}

func submitTask(t *testing.T, s *Supervisor, name, data string) *pool.Ticket {
	t.Helper()
	k, err := s.SubmitTask(name, json.RawMessage(data), pool.SubmitOptions{})
	if err != nil {
		t.Fatalf("submit %s: %v", data, err)
	}
	return k
}

func ended(t *testing.T, k *pool.Ticket, within time.Duration) pool.Record {
	t.Helper()
	select {
	case <-k.Done():
	case <-time.After(within):
		t.Fatalf("task %s did not end within %s: %+v", k.ID, within, k.Record())
	}
	return k.Record()
}

func pidsOf(s *Supervisor, name string) map[int]bool {
	v, err := s.Get(name)
	if err != nil {
		panic(err)
	}
	out := map[int]bool{}
	for _, in := range v.Instances {
		if in.Pid != 0 {
			out[in.Pid] = true
		}
	}
	return out
}

func resultPid(t *testing.T, r pool.Record) int {
	t.Helper()
	if r.Status != pool.Done {
		t.Fatalf("task %s: %s (%s), want done", r.ID, r.Status, r.Error)
	}
	n, err := strconv.Atoi(string(r.Result))
	if err != nil {
		t.Fatalf("result %s: not a pid", r.Result)
	}
	return n
}

// A task waits while no worker is online, and is never given to one that
// runs but is not online yet.
func TestPoolGivesTasksOnlyToOnlineWorkers(t *testing.T) {
	s, _ := newSup(t)
	a := poolApp("p", 1, spec.Pool{TaskTimeout: spec.Duration(20 * time.Second)})
	a.Ready, a.ReadyLogLine = spec.ReadyLog, "never printed"
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitState(t, s, "p", Starting)
	k := submitTask(t, s, "p", `{"pid":true}`)
	time.Sleep(300 * time.Millisecond) // a worker that is running, not online, must not get it
	if r := k.Record(); r.Status != pool.Queued || r.Attempts != 0 {
		t.Fatalf("given to a worker that is not online: %+v", r)
	}
	// The same worker, online, takes it.
	b := poolApp("p", 1, spec.Pool{TaskTimeout: spec.Duration(20 * time.Second)})
	if err := s.Add([]*spec.App{b}, true); err != nil {
		t.Fatal(err)
	}
	r := ended(t, k, 10*time.Second)
	if pid := resultPid(t, r); !pidsOf(s, "p")[pid] {
		t.Fatalf("answered by pid %d, not p's (%v)", pid, pidsOf(s, "p"))
	}
}

// A worker killed mid-task has its task retried on another worker, up
// to retries; then the task fails, saying which worker and how.
func TestPoolRetriesACrashOnAnotherWorker(t *testing.T) {
	s, _ := newSup(t)
	if err := s.Add([]*spec.App{poolApp("p", 2, spec.Pool{Retries: 1})}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 2)
	k := submitTask(t, s, "p", `{"kill":true}`)
	r := ended(t, k, 10*time.Second)
	if r.Status != pool.Failed || r.Attempts != 2 {
		t.Fatalf("%+v, want failed after 2 attempts", r)
	}
	want := "worker " + r.Worker + " exited (signal KILL) during the task (attempt 2 of 2)"
	if r.Error != want {
		t.Fatalf("error %q, want %q", r.Error, want)
	}
	// Each attempt ran on another instance: each restarts once.
	testutil.WaitFor(t, 10*time.Second, "both instances restarted once", func() bool {
		v, _ := s.Get("p")
		return v.Instances[0].Restarts == 1 && v.Instances[1].Restarts == 1
	})
	// A task after them is answered.
	resultPid(t, ended(t, submitTask(t, s, "p", `{"pid":true}`), 10*time.Second))
}

func waitOnline(t *testing.T, s *Supervisor, name string, n int) {
	t.Helper()
	testutil.WaitFor(t, 10*time.Second, name+" online", func() bool {
		v, _ := s.Get(name)
		on := 0
		for _, in := range v.Instances {
			if in.State == Online {
				on++
			}
		}
		return on == n
	})
}

// A task over task_timeout fails (no retries) and its worker is
// replaced: a new process, the restart counted as task_timeout.
func TestPoolTimeoutReplacesTheWorker(t *testing.T) {
	s, _ := newSup(t)
	a := poolApp("p", 1, spec.Pool{TaskTimeout: spec.Duration(300 * time.Millisecond)})
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	before := state(s, "p").Pid
	k := submitTask(t, s, "p", `{"sleep_ms":60000,"stuck":true}`)
	r := ended(t, k, 5*time.Second)
	if r.Status != pool.Failed || r.Error != "ran over task_timeout 300ms on worker p:0" {
		t.Fatalf("%+v", r)
	}
	testutil.WaitFor(t, 10*time.Second, "a new worker", func() bool {
		v := state(s, "p")
		return v.State == Online && v.Pid != before && v.Pid != 0
	})
	if n := state(s, "p").RestartsBy["task_timeout"]; n != 1 {
		t.Fatalf("restarts by task_timeout %d, want 1", n)
	}
	resultPid(t, ended(t, submitTask(t, s, "p", `{"pid":true}`), 10*time.Second))
}

// With per_worker over 1, a worker that runs one task at a time (Node's
// event loop) holds tasks it has not begun: the wait in its channel is
// not the task's time. Four tasks of 600 ms, each within a task_timeout
// of 1 s, all given at once to one such worker, take 2.4 s together and
// all end done, on the one worker, with no restart.
func TestPoolTimeoutCountsFromTheTaskBefore(t *testing.T) {
	s, _ := newSup(t)
	a := nodePoolApp(t, "p", spec.Pool{TaskTimeout: spec.Duration(time.Second), PerWorker: 4})
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	pid := state(s, "p").Pid
	var ks []*pool.Ticket
	for range 4 {
		ks = append(ks, submitTask(t, s, "p", `{"busy_ms":600}`))
	}
	for i, k := range ks {
		r := ended(t, k, 10*time.Second)
		if r.Status != pool.Done || r.Attempts != 1 {
			t.Fatalf("task %d: %+v", i, r)
		}
		if got := resultPid(t, r); got != pid {
			t.Fatalf("task %d answered by %d, want the one worker %d", i, got, pid)
		}
	}
	if v := state(s, "p"); v.Restarts != 0 {
		t.Fatalf("restarts %d (%v), want 0", v.Restarts, v.RestartsBy)
	}
}

// A worker that runs its tasks at once still has a stuck one timed out
// when a task given before it ends: its clock starts then at the latest.
func TestPoolTimeoutReachesATaskBehindAnother(t *testing.T) {
	s, _ := newSup(t)
	a := poolApp("p", 1, spec.Pool{TaskTimeout: spec.Duration(time.Second), PerWorker: 2})
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	first := submitTask(t, s, "p", `{"sleep_ms":500}`)
	stuck := submitTask(t, s, "p", `{"sleep_ms":60000,"stuck":true}`)
	if r := ended(t, first, 5*time.Second); r.Status != pool.Done {
		t.Fatalf("the first task: %+v", r)
	}
	r := ended(t, stuck, 5*time.Second)
	if r.Status != pool.Failed || r.Error != "ran over task_timeout 1s on worker p:0" {
		t.Fatalf("the stuck task: %+v", r)
	}
	testutil.WaitFor(t, 10*time.Second, "the worker replaced", func() bool {
		return state(s, "p").RestartsBy["task_timeout"] == 1
	})
}

// A reload drains: the old worker finishes its task while the new one
// takes new tasks.
func TestPoolReloadDrains(t *testing.T) {
	s, _ := newSup(t)
	if err := s.Add([]*spec.App{poolApp("p", 1, spec.Pool{})}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	old := state(s, "p").Pid
	long := submitTask(t, s, "p", `{"sleep_ms":1500}`)
	testutil.WaitFor(t, 5*time.Second, "the long task running", func() bool { return long.Record().Status == pool.Running })
	reloaded := make(chan error, 1)
	go func() { _, err := s.Reload("p", 1); reloaded <- err }()
	testutil.WaitFor(t, 10*time.Second, "the new generation online", func() bool {
		v := state(s, "p")
		return v.Pid != old && v.State == Online
	})
	fresh := resultPid(t, ended(t, submitTask(t, s, "p", `{"pid":true}`), 5*time.Second))
	if fresh == old {
		t.Fatal("a new task went to the draining worker")
	}
	if long.Record().Status.Ended() {
		t.Fatal("the old worker's task ended before the new worker's: no overlap to see")
	}
	if got := resultPid(t, ended(t, long, 10*time.Second)); got != old {
		t.Fatalf("the long task answered by %d, want the old worker %d", got, old)
	}
	if err := <-reloaded; err != nil {
		t.Fatal(err)
	}
}

// stop waits for the tasks in flight, up to kill_timeout; a submit to
// the stopped pool is refused.
func TestPoolStopWaitsForTasksInFlight(t *testing.T) {
	s, _ := newSup(t)
	a := poolApp("p", 1, spec.Pool{})
	a.KillTimeout = spec.Duration(5 * time.Second)
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	k := submitTask(t, s, "p", `{"sleep_ms":700}`)
	queued := submitTask(t, s, "p", `{"pid":true}`)
	testutil.WaitFor(t, 5*time.Second, "running", func() bool { return k.Record().Status == pool.Running })
	begin := time.Now()
	if err := s.Stop("p"); err != nil {
		t.Fatal(err)
	}
	if r := k.Record(); r.Status != pool.Done {
		t.Fatalf("the task in flight at stop: %+v, want done", r)
	}
	t.Logf("stop returned after %v, with the task done", time.Since(begin))
	if r := queued.Record(); r.Status != pool.Failed || !strings.Contains(r.Error, "the pool was stopped") {
		t.Fatalf("the queued task at stop: %+v", r)
	}
	_, err := s.SubmitTask("p", json.RawMessage(`1`), pool.SubmitOptions{})
	if !errors.Is(err, pool.ErrStopped) {
		t.Fatalf("submit to a stopped pool: %v", err)
	}
}

// The wait for tasks at stop ends at kill_timeout: the stuck task fails
// with how its worker ended.
func TestPoolStopWaitIsBoundedByKillTimeout(t *testing.T) {
	s, _ := newSup(t)
	a := poolApp("p", 1, spec.Pool{})
	a.KillTimeout = spec.Duration(300 * time.Millisecond)
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	k := submitTask(t, s, "p", `{"sleep_ms":60000,"stuck":true}`)
	testutil.WaitFor(t, 5*time.Second, "running", func() bool { return k.Record().Status == pool.Running })
	begin := time.Now()
	if err := s.Stop("p"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > 3*time.Second {
		t.Fatalf("stop took %v with kill_timeout 300ms", d)
	}
	r := ended(t, k, time.Second)
	if r.Status != pool.Failed || r.Error != "worker p:0 exited (signal TERM) during the task" {
		t.Fatalf("%+v", r)
	}
}

// With no worker online for longer than task_timeout, the queued tasks
// fail with why, and a submit is refused.
func TestPoolWithoutWorkersRefuses(t *testing.T) {
	s, _ := newSup(t)
	a := helperApp("p", "exit", "1", "boom")
	a.Pool = &spec.Pool{TaskTimeout: spec.Duration(400 * time.Millisecond)}
	// Never online: a race-built helper under a loaded suite can take its
	// 50ms min_uptime to exit, and was given the task (a full -race run).
	hour := spec.Duration(time.Hour)
	a.MinUptime = &hour
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	k := submitTask(t, s, "p", `1`)
	r := ended(t, k, 5*time.Second)
	if r.Status != pool.Failed || !strings.HasPrefix(r.Error, "no online worker of p for ") {
		t.Fatalf("%+v", r)
	}
	_, err := s.SubmitTask("p", json.RawMessage(`1`), pool.SubmitOptions{})
	if !errors.Is(err, pool.ErrNoWorker) || !strings.Contains(err.Error(), "p:0 ") {
		t.Fatalf("submit with no worker: %v (want the reason, naming p:0's state)", err)
	}
}

// Every accepted task ends exactly once, with a result or an error, while
// workers are killed under it.
func TestPoolEveryTaskEndsOnce(t *testing.T) {
	s, _ := newSup(t)
	if err := s.Add([]*spec.App{poolApp("p", 2, spec.Pool{Retries: 3, PerWorker: 4})}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 2)
	const n = 400
	var notified sync.Map
	var twice atomic.Int32
	var ks []*pool.Ticket
	for i := range n {
		data := `{"sleep_ms":2}`
		if i%97 == 50 {
			data = `{"kill":true}` // four workers die under the load
		}
		k, err := s.SubmitTask("p", json.RawMessage(data), pool.SubmitOptions{Notify: func(r pool.Record) {
			if _, dup := notified.LoadOrStore(r.ID, true); dup {
				twice.Add(1)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	var done, failed int
	for _, k := range ks {
		switch r := ended(t, k, 30*time.Second); r.Status {
		case pool.Done:
			done++
		case pool.Failed:
			failed++
			if !strings.Contains(r.Error, "exited (signal KILL) during the task") {
				t.Errorf("%s failed: %s", r.ID, r.Error)
			}
		default:
			t.Errorf("%s ended %s", r.ID, r.Status)
		}
	}
	// A ticket's end is seen before its Notify, which runs outside the
	// pool's lock, has returned: the last ones are waited for.
	count := 0
	testutil.WaitFor(t, 5*time.Second, "every task told", func() bool {
		count = 0
		notified.Range(func(any, any) bool { count++; return true })
		return count >= n
	})
	if twice.Load() > 0 || count != n {
		t.Fatalf("%d tasks told, %d twice; want %d once each", count, twice.Load(), n)
	}
	st, _ := s.PoolStats("p")
	t.Logf("%d done, %d failed; stats %+v", done, failed, st)
	if st.Done+st.Failed != n || st.Queued != 0 || st.InFlight != 0 {
		t.Fatalf("stats %+v, want %d ended and nothing left", st, n)
	}
}

// A daemon's shutdown reports the queued tasks lost, never forgets them.
func TestPoolShutdownReportsQueuedTasksLost(t *testing.T) {
	st := &MemStore{}
	s, _ := ownSup(t, st)
	a := poolApp("p", 1, spec.Pool{}, "")
	a.KillTimeout = spec.Duration(200 * time.Millisecond)
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	running := submitTask(t, s, "p", `{"sleep_ms":60000,"stuck":true}`)
	var queued []*pool.Ticket
	for range 3 {
		queued = append(queued, submitTask(t, s, "p", `1`))
	}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, k := range queued {
		if r := k.Record(); r.Status != pool.Lost || !strings.Contains(r.Error, "not a durable queue") {
			t.Fatalf("queued at shutdown: %+v", r)
		}
	}
	if r := running.Record(); !r.Status.Ended() {
		t.Fatalf("running at shutdown: %+v", r)
	}
	var said bool
	for _, e := range st.Events("p") {
		said = said || strings.Contains(e.Reason, "3 tasks of the pool were lost: the daemon shut down")
	}
	if !said {
		t.Fatalf("no event says the tasks were lost: %v", reasons(st, "p"))
	}
}

// A worker that gives up at the timeout it was told (ServeTasks' context)
// fails its task with its own words, and is not replaced.
func TestPoolCooperativeTimeoutKeepsTheWorker(t *testing.T) {
	s, _ := newSup(t)
	if err := s.Add([]*spec.App{poolApp("p", 1, spec.Pool{TaskTimeout: spec.Duration(300 * time.Millisecond)})}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	before := state(s, "p").Pid
	r := ended(t, submitTask(t, s, "p", `{"sleep_ms":60000}`), 5*time.Second)
	if r.Status != pool.Failed || r.Error != "context deadline exceeded" {
		t.Fatalf("%+v, want the worker's own context error", r)
	}
	if got := resultPid(t, ended(t, submitTask(t, s, "p", `{"pid":true}`), 5*time.Second)); got != before {
		t.Fatalf("answered by %d: the worker was replaced (was %d)", got, before)
	}
}

// A daemon that ends with no shutdown leaves the next one the count of
// the tasks it held, recorded as lost: every one of them, up to the last
// accepted, with no sampler's tick between the submits and the end.
func TestPoolTasksOfAKilledDaemonAreReportedLost(t *testing.T) {
	st, home := &MemStore{}, t.TempDir()
	s, sp0 := supAt(t, st, home)
	t.Cleanup(func() { s.Shutdown(context.Background()); sp0.Close() })
	a := poolApp("p", 1, spec.Pool{})
	a.KillTimeout = spec.Duration(200 * time.Millisecond)
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	const n = 300
	submitTask(t, s, "p", `{"sleep_ms":60000,"stuck":true}`)
	for i := 1; i < n; i++ {
		submitTask(t, s, "p", `1`)
	}
	// The next daemon over the same store and home, this one never shut
	// down.
	next, sp := supAt(t, st, home)
	t.Cleanup(func() { next.Shutdown(context.Background()); sp.Close() })
	if err := next.Restore(); err != nil {
		t.Fatal(err)
	}
	var said bool
	for _, e := range st.Events("p") {
		said = said || strings.HasPrefix(e.Reason, fmt.Sprintf("%d tasks of the pool were lost: the daemon before this one ended (with no shutdown)", n))
	}
	if !said {
		t.Fatalf("no event counts the %d lost tasks: %v", n, reasons(st, "p"))
	}
	if lost, _ := tally.Left(filepath.Join(home, "pools")); len(lost) > 0 {
		t.Fatalf("the counts are still kept after they were reported: %v", lost)
	}
}

// An online worker that fails its readiness probe gets no new task until
// it passes again.
func TestPoolSkipsAWorkerThatIsNotReady(t *testing.T) {
	s, _ := newSup(t)
	flag := filepath.Join(t.TempDir(), "ready")
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a := poolApp("p", 1, spec.Pool{TaskTimeout: spec.Duration(20 * time.Second)})
	a.Readiness = &spec.Probe{Exec: []string{"test", "-f", flag}, Interval: spec.Duration(100 * time.Millisecond), FailureThreshold: 1}
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	os.Remove(flag)
	testutil.WaitFor(t, 10*time.Second, "p:0 not ready", func() bool { return state(s, "p").NotReady })
	k := submitTask(t, s, "p", `{"pid":true}`)
	time.Sleep(300 * time.Millisecond) // three probe intervals: it must stay queued
	if r := k.Record(); r.Status != pool.Queued {
		t.Fatalf("given to a worker that is not ready: %+v", r)
	}
	os.WriteFile(flag, nil, 0o644)
	resultPid(t, ended(t, k, 10*time.Second))
}

// max_tasks_per_worker: a worker is replaced after so many tasks, as
// Python's maxtasksperchild; the restart is counted as such, not a crash.
func TestPoolRecyclesAWorkerAfterMaxTasks(t *testing.T) {
	s, _ := newSup(t)
	if err := s.Add([]*spec.App{poolApp("p", 1, spec.Pool{MaxTasksPerWorker: 3, TaskTimeout: spec.Duration(20 * time.Second)})}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	var pids []int
	for range 7 {
		pids = append(pids, resultPid(t, ended(t, submitTask(t, s, "p", `{"pid":true}`), 10*time.Second)))
	}
	if pids[0] != pids[2] || pids[3] != pids[5] || pids[2] == pids[3] || pids[5] == pids[6] {
		t.Fatalf("answered by %v: want a new worker after each 3 tasks", pids)
	}
	testutil.WaitFor(t, 5*time.Second, "restarts counted", func() bool {
		return state(s, "p").RestartsBy["max_tasks_per_worker"] == 2
	})
	if n := state(s, "p").RestartsBy["exit"]; n != 0 {
		t.Fatalf("%d restarts counted as crashes", n)
	}
}

// A busy worker's answers are read in batches (its reader looks later),
// so when it dies some it wrote are still in its channel: they end their
// tasks, done on the first attempt, rather than being run again. The
// worker is Node's, one task at a time in order, so every task before
// the one that kills it has been answered.
func TestPoolAnswersWrittenBeforeACrashEndTheirTasks(t *testing.T) {
	s, _ := newSup(t)
	a := nodePoolApp(t, "p", spec.Pool{QueueMax: 1000, PerWorker: 16, Retries: 1, TaskTimeout: spec.Duration(30 * time.Second)})
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	waitOnline(t, s, "p", 1)
	// 2 ms a task, 16 in hand: its reader looks every 20 ms (maxLinger),
	// ten answers or so unread at any time.
	var before []*pool.Ticket
	for range 150 {
		before = append(before, submitTask(t, s, "p", `{"busy_ms":2}`))
	}
	kill := submitTask(t, s, "p", `{"kill":true}`)
	// Tasks behind it keep the worker's hands full when it dies (they
	// are retried with the killing task, and may die with it again).
	var behind []*pool.Ticket
	for range 40 {
		behind = append(behind, submitTask(t, s, "p", `{"busy_ms":2}`))
	}
	for _, k := range before {
		if r := ended(t, k, 30*time.Second); r.Status != pool.Done || r.Attempts != 1 {
			t.Errorf("task %s, answered before the crash: %s after %d attempts (%s), want done on the first", r.ID, r.Status, r.Attempts, r.Error)
		}
	}
	if r := ended(t, kill, 30*time.Second); r.Status != pool.Failed || r.Attempts != 2 {
		t.Errorf("the killing task: %s after %d attempts, want failed after 2", r.Status, r.Attempts)
	}
	for _, k := range behind {
		ended(t, k, 30*time.Second)
	}
}
