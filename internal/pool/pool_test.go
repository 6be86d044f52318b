package pool

import (
	"bytes"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

// fake is a worker whose tasks land in a channel; the test answers them.
type fake struct {
	w      *Worker
	tasks  chan string // the ids sent
	fail   error
	writes atomic.Int32 // the sends, each of one or more lines
}

func newFake(name string) *fake {
	f := &fake{tasks: make(chan string, 100)}
	f.w = NewWorker(name, func(lines []byte) error {
		if f.fail != nil {
			return f.fail
		}
		f.writes.Add(1)
		for line := range bytes.SplitSeq(lines, []byte{'\n'}) {
			var m struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			}
			if err := json.Unmarshal(line, &m); err != nil || m.Type != "task" {
				panic("bad task line " + string(line))
			}
			f.tasks <- m.ID
		}
		return nil
	})
	return f
}

func (f *fake) next(t *testing.T) string {
	t.Helper()
	select {
	case id := <-f.tasks:
		return id
	case <-time.After(5 * time.Second):
		t.Fatalf("%s got no task", f.w.Name)
		return ""
	}
}

func (f *fake) none(t *testing.T) {
	t.Helper()
	select {
	case id := <-f.tasks:
		t.Fatalf("%s got task %s", f.w.Name, id)
	case <-time.After(20 * time.Millisecond):
	}
}

func settings() spec.Pool {
	return spec.Pool{QueueMax: 3, TaskTimeout: spec.Duration(time.Hour), PerWorker: 1}
}

func submit(t *testing.T, p *Pool, data string) *Ticket {
	t.Helper()
	k, err := p.Submit(json.RawMessage(data), SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func wait(t *testing.T, k *Ticket) Record {
	t.Helper()
	select {
	case <-k.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("task %s did not end", k.ID)
	}
	return k.Record()
}

func TestQueueNeverExceedsQueueMax(t *testing.T) {
	p := New("thumbs", settings(), Hooks{})
	for range 3 {
		submit(t, p, `{"n":1}`)
	}
	_, err := p.Submit(json.RawMessage(`{"n":1}`), SubmitOptions{})
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "3 tasks waiting (queue_max 3)") {
		t.Fatalf("fourth submit: %v, want queue full", err)
	}
	if s := p.Stats(); s.Queued != 3 {
		t.Fatalf("queued %d, want 3", s.Queued)
	}
	// A worker takes one: there is room for one more, no more.
	f := newFake("thumbs:0")
	p.Join(f.w)
	id := f.next(t)
	submit(t, p, `1`)
	if _, err := p.Submit(json.RawMessage(`1`), SubmitOptions{}); !errors.Is(err, ErrFull) {
		t.Fatalf("submit over the bound: %v", err)
	}
	if !p.Finish(f.w, id, json.RawMessage(`"ok"`), "", false) {
		t.Fatal("finish refused")
	}
}

func TestEveryTaskEndsOnceWithItsResult(t *testing.T) {
	set := settings()
	set.QueueMax = 1000
	p := New("thumbs", set, Hooks{})
	workers := []*fake{newFake("thumbs:0"), newFake("thumbs:1")}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, f := range workers {
		p.Join(f.w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case id := <-f.tasks:
					p.Finish(f.w, id, json.RawMessage(`"r-`+id+`"`), "", false)
					f.w.FlushAnswers() // as its reader does once it has read all there was
				case <-stop:
					return
				}
			}
		}()
	}
	var notified sync.Map
	var ks []*Ticket
	for range 500 {
		k, err := p.Submit(json.RawMessage(`{}`), SubmitOptions{Notify: func(r Record) {
			if _, dup := notified.LoadOrStore(r.ID, r); dup {
				t.Errorf("%s notified twice", r.ID)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	for _, k := range ks {
		r := wait(t, k)
		if r.Status != Done || string(r.Result) != `"r-`+k.ID+`"` || r.Attempts != 1 {
			t.Fatalf("%s: %+v", k.ID, r)
		}
	}
	close(stop)
	wg.Wait()
	s := p.Stats()
	if s.Done != 500 || s.Submitted != 500 || s.Queued != 0 || s.InFlight != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestCrashRetriesOnAnotherWorkerThenFails(t *testing.T) {
	set := settings()
	set.Retries = 1
	p := New("thumbs", set, Hooks{})
	a, b := newFake("thumbs:1"), newFake("thumbs:2")
	p.Join(a.w)
	k := submit(t, p, `{"n":30}`)
	id := a.next(t)
	p.Join(b.w)
	p.Leave(a.w, "exited (signal KILL)")
	if got := b.next(t); got != id {
		t.Fatalf("retried %s, want %s", got, id)
	}
	// b crashes too: no retries left.
	p.Leave(b.w, "exited (signal KILL)")
	r := wait(t, k)
	if r.Status != Failed || r.Attempts != 2 || r.Worker != "thumbs:2" {
		t.Fatalf("%+v", r)
	}
	if want := "worker thumbs:2 exited (signal KILL) during the task (attempt 2 of 2)"; r.Error != want {
		t.Fatalf("error %q, want %q", r.Error, want)
	}
	if f := p.FailedTasks(); len(f) != 1 || f[0].ID != id {
		t.Fatalf("failed list %+v", f)
	}
	// A late answer of the dead worker changes nothing.
	if p.Finish(b.w, id, json.RawMessage(`1`), "", false) {
		t.Fatal("a late answer was taken")
	}
}

func TestTimeoutReplacesTheWorker(t *testing.T) {
	set := settings()
	set.TaskTimeout = spec.Duration(50 * time.Millisecond)
	replaced := make(chan string, 1)
	p := New("thumbs", set, Hooks{Replace: func(w *Worker, kind, why string) { replaced <- w.Name + " " + kind }})
	f := newFake("thumbs:0")
	p.Join(f.w)
	k := submit(t, p, `{}`)
	f.next(t)
	r := wait(t, k)
	if r.Status != Failed || r.Error != "ran over task_timeout 50ms on worker thumbs:0" {
		t.Fatalf("%+v", r)
	}
	if got := <-replaced; got != "thumbs:0 task_timeout" {
		t.Fatalf("replaced %q", got)
	}
	// The replaced worker takes no more.
	submit(t, p, `{}`)
	f.none(t)
}

// A worker that gives up at its timeout and answers, but whose answer
// reaches the pool late (its process descheduled on a loaded host, the
// reader lingering), has the task failed with its own words and is not
// replaced: the grace covers a delay of that kind, not only the hop.
func TestALateCooperativeAnswerKeepsTheWorker(t *testing.T) {
	set := settings()
	set.TaskTimeout = spec.Duration(50 * time.Millisecond)
	replaced := make(chan string, 1)
	p := New("thumbs", set, Hooks{Replace: func(w *Worker, kind, why string) { replaced <- w.Name + " " + kind }})
	f := newFake("thumbs:0")
	p.Join(f.w)
	k := submit(t, p, `{}`)
	id := f.next(t)
	time.Sleep(50*time.Millisecond + 150*time.Millisecond)
	if !p.Finish(f.w, id, nil, "context deadline exceeded", true) {
		t.Fatal("the answer was not taken: the task had timed out")
	}
	if r := wait(t, k); r.Status != Failed || r.Error != "context deadline exceeded" {
		t.Fatalf("%+v, want the worker's own error", r)
	}
	select {
	case got := <-replaced:
		t.Fatalf("replaced %q", got)
	default:
	}
}

func TestDrainFinishesInFlightAndTakesNoMore(t *testing.T) {
	p := New("thumbs", settings(), Hooks{})
	old, fresh := newFake("thumbs:0"), newFake("thumbs:0")
	p.Join(old.w)
	k1 := submit(t, p, `1`)
	id1 := old.next(t)
	p.Join(fresh.w) // a reload's new generation
	n, idle := p.Drain(old.w)
	if n != 1 {
		t.Fatalf("in flight %d", n)
	}
	k2 := submit(t, p, `2`)
	id2 := fresh.next(t)
	old.none(t)
	select {
	case <-idle:
		t.Fatal("idle with a task in flight")
	default:
	}
	p.Finish(old.w, id1, json.RawMessage(`1`), "", false)
	<-idle
	p.Finish(fresh.w, id2, json.RawMessage(`2`), "", false)
	if wait(t, k1).Worker != "thumbs:0" || wait(t, k2).Status != Done {
		t.Fatal("both should be done")
	}
}

func TestStoppedAndWorkerlessPoolsRefuse(t *testing.T) {
	set := settings()
	set.TaskTimeout = spec.Duration(30 * time.Millisecond)
	p := New("thumbs", set, Hooks{Why: func() string { return "thumbs:0 errored" }})
	k := submit(t, p, `1`) // no worker yet: it waits, up to task_timeout
	r := wait(t, k)
	if r.Status != Failed || !strings.HasPrefix(r.Error, "no online worker of thumbs for ") || !strings.HasSuffix(r.Error, ": thumbs:0 errored") {
		t.Fatalf("%+v", r)
	}
	_, err := p.Submit(json.RawMessage(`1`), SubmitOptions{})
	if !errors.Is(err, ErrNoWorker) {
		t.Fatalf("submit with no worker for over task_timeout: %v", err)
	}
	p.Stop("stopped by tend stop")
	if _, err := p.Submit(json.RawMessage(`1`), SubmitOptions{}); !errors.Is(err, ErrStopped) {
		t.Fatalf("submit to a stopped pool: %v", err)
	}
}

func TestCloseReportsQueuedTasksLost(t *testing.T) {
	p := New("thumbs", settings(), Hooks{})
	k := submit(t, p, `1`)
	if n := p.Close("the daemon shut down"); n != 1 {
		t.Fatalf("lost %d", n)
	}
	if r := wait(t, k); r.Status != Lost || !strings.Contains(r.Error, "not a durable queue") {
		t.Fatalf("%+v", r)
	}
	if _, ok := Earlier(k.ID); ok {
		t.Fatal("a task of this daemon is not an earlier one")
	}
	if at, ok := Earlier("k0000000-1"); !ok || at.IsZero() {
		t.Fatal("an id of another daemon is an earlier one")
	}
}

func TestResultsAreKeptBounded(t *testing.T) {
	set := settings()
	set.QueueMax = 100
	p := New("thumbs", set, Hooks{})
	f := newFake("thumbs:0")
	p.Join(f.w)
	var first string
	for i := range keepResults + 10 {
		k := submit(t, p, `1`)
		id := f.next(t)
		p.Finish(f.w, id, json.RawMessage(`1`), "", false)
		wait(t, k)
		if i == 0 {
			first = k.ID
		}
	}
	if _, _, ok := p.Get(first); ok {
		t.Fatal("the oldest result is kept beyond keepResults")
	}
	p.mu.Lock()
	n, kept := len(p.byID), len(p.kept)-p.keptHead
	p.mu.Unlock()
	if n != keepResults || kept != keepResults {
		t.Fatalf("kept %d by id, %d in order; want %d", n, kept, keepResults)
	}
}

func TestRetryIsWithinRetries(t *testing.T) {
	for _, c := range []struct {
		attempts, retries int
		want              bool
	}{{1, 0, false}, {1, 1, true}, {2, 1, false}, {3, 3, true}} {
		if got := Retry(c.attempts, c.retries); got != c.want {
			t.Errorf("Retry(%d, %d) = %v", c.attempts, c.retries, got)
		}
	}
}

// A retry goes to another instance than the one it crashed on, when one
// has room: here a reload's new worker of the same instance is there too.
func TestRetryPrefersAnotherInstance(t *testing.T) {
	set := settings()
	set.Retries = 1
	p := New("thumbs", set, Hooks{})
	old, b, fresh := newFake("thumbs:0"), newFake("thumbs:1"), newFake("thumbs:0")
	p.Join(old.w)
	k := submit(t, p, `1`)
	old.next(t)
	p.Join(fresh.w) // the reload's new generation of thumbs:0
	p.Join(b.w)
	p.Drain(old.w)
	p.Leave(old.w, "exited (signal KILL)")
	b.next(t)
	fresh.none(t)
	if r := k.Record(); r.Worker != "thumbs:1" || r.Attempts != 2 {
		t.Fatalf("%+v, want the retry on thumbs:1", r)
	}
}

// The tasks that a batch of answers made room for go to their worker in
// one write, once its reader has read the batch (FlushAnswers), not one
// write a task as each answer is taken; a write holds at most batchBytes
// unless one task is longer.
func TestAnswersReadTogetherLetTheirTasksInWithOneWrite(t *testing.T) {
	set := settings()
	set.QueueMax, set.PerWorker = 100, 4
	p := New("thumbs", set, Hooks{})
	f := newFake("thumbs:0")
	for range 12 {
		submit(t, p, `1`)
	}
	p.Join(f.w)
	var ids []string
	for range 4 {
		ids = append(ids, f.next(t))
	}
	if n := f.writes.Load(); n != 1 {
		t.Fatalf("joining with 4 tasks to take wrote %d times, want once", n)
	}
	for _, id := range ids[:3] {
		p.Finish(f.w, id, json.RawMessage(`1`), "", false)
	}
	f.none(t)
	f.w.FlushAnswers()
	for range 3 {
		f.next(t)
	}
	if n := f.writes.Load(); n != 2 {
		t.Fatalf("3 answers read together let 3 tasks in with %d writes, want 1", n-1)
	}

	big := New("big", set, Hooks{})
	g := newFake("big:0")
	data := `"` + strings.Repeat("x", batchBytes/3) + `"`
	for range 4 {
		submit(t, big, data)
	}
	big.Join(g.w)
	for range 4 {
		g.next(t)
	}
	if n := g.writes.Load(); n != 2 {
		t.Fatalf("4 tasks of a third of batchBytes went in %d writes, want 2", n)
	}
}

// A task through the pool, submitted, answered and its answer flushed,
// allocates its own record and little more: what a stream of trivial
// tasks allocates is what the daemon's collector scans for (12 allocations
// a task, 1,016 bytes, before Finish kept its room for ended tasks and
// deliver stopped copying a lone task's line).
func TestATaskAllocatesLittle(t *testing.T) {
	set := settings()
	set.QueueMax, set.PerWorker = 1000, 16
	p := New("thumbs", set, Hooks{})
	w := NewWorker("thumbs:0", func([]byte) error { return nil })
	p.Join(w)
	notify := func(Record) {}
	one := func() {
		k, err := p.Submit(json.RawMessage(`{"echo":1}`), SubmitOptions{Notify: notify})
		if err != nil {
			t.Fatal(err)
		}
		p.Finish(w, k.ID, json.RawMessage(`{"echo":1}`), "", false)
		w.FlushAnswers()
	}
	n := testing.AllocsPerRun(2000, one)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 2000 {
		one()
	}
	runtime.ReadMemStats(&after)
	bytes := float64(after.TotalAlloc-before.TotalAlloc) / 2000
	t.Logf("a task: %.1f allocations, %.0f bytes", n, bytes)
	if want := 9.0 + raceAllocs; n > want {
		t.Errorf("a task allocates %.1f times, want at most %.0f", n, want)
	}
	if want := 640.0 + raceBytes; bytes > want {
		t.Errorf("a task allocates %.0f bytes, want at most %.0f", bytes, want)
	}
}

// A task's done channel is made only when asked for; asked for before
// the end, it is closed by it, and asked for after, it is closed already.
func TestDoneWhenAskedBeforeOrAfterTheEnd(t *testing.T) {
	p := New("thumbs", settings(), Hooks{})
	w := NewWorker("thumbs:0", func([]byte) error { return nil })
	p.Join(w)
	before := submit(t, p, `{"n":1}`)
	asked := before.Done()
	after := submit(t, p, `{"n":2}`)
	p.Finish(w, before.ID, json.RawMessage(`1`), "", false)
	p.Finish(w, after.ID, json.RawMessage(`2`), "", false)
	w.FlushAnswers()
	for name, done := range map[string]<-chan struct{}{"asked before the end": asked, "asked after": after.Done()} {
		select {
		case <-done:
		default:
			t.Errorf("%s: done is not closed once the task ended", name)
		}
	}
	_, done, ok := p.Get(after.ID)
	if !ok {
		t.Fatalf("Get %s: not kept", after.ID)
	}
	select {
	case <-done:
	default:
		t.Error("Get's done of an ended task is not closed")
	}
	if r := wait(t, after); r.Status != Done || string(r.Result) != "2" {
		t.Errorf("record %+v", r)
	}
}
