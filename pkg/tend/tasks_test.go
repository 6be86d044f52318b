package tend

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain makes the test binary a ServeTasks worker when asked, for the
// tests below to run it as tend would: a child with its channel on fd 3.
func TestMain(m *testing.M) {
	if os.Getenv("TEND_TEST_WORKER") == "1" {
		serveForTest()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveForTest answers {"echo": X} with X; {"together": K} once K such
// tasks run at once (an error if they do not within 5 s); {"created":
// true} with the goroutines the process has created; {"big": N} with a
// string of N bytes.
func serveForTest() {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	together := 0
	err := ServeTasks(func(ctx context.Context, data json.RawMessage) (any, error) {
		var in struct {
			Echo     json.RawMessage `json:"echo"`
			Together int             `json:"together"`
			Created  bool            `json:"created"`
			Big      int             `json:"big"`
		}
		if err := json.Unmarshal(data, &in); err != nil {
			return nil, err
		}
		switch {
		case in.Together > 0:
			mu.Lock()
			defer mu.Unlock()
			together++
			cond.Broadcast()
			give := time.AfterFunc(5*time.Second, cond.Broadcast)
			defer give.Stop()
			start := time.Now()
			for together%in.Together != 0 && time.Since(start) < 5*time.Second {
				cond.Wait()
			}
			if together%in.Together != 0 {
				return nil, fmt.Errorf("%d of %d tasks ran together", together%in.Together, in.Together)
			}
			return "together", nil
		case in.Created:
			s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
			metrics.Read(s)
			return s[0].Value.Uint64(), nil
		case in.Big > 0:
			return strings.Repeat("x", in.Big), nil
		}
		return in.Echo, nil
	})
	if err != nil {
		os.Exit(3)
	}
}

type testWorker struct {
	c  *os.File
	br *bufio.Reader
}

// startWorker runs the test binary as a worker, its channel's other end
// kept here.
func startWorker(t *testing.T) *testWorker {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	parent, child := os.NewFile(uintptr(fds[0]), "parent"), os.NewFile(uintptr(fds[1]), "child")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.ExtraFiles = []*os.File{child}
	cmd.Env = append(os.Environ(), "TEND_TEST_WORKER=1", "TEND_IPC_FD=3", "NOTIFY_SOCKET=")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		parent.Close()
	})
	w := &testWorker{c: parent, br: bufio.NewReaderSize(parent, 1<<16)}
	if m := w.read(t); m["type"] != "ready" {
		t.Fatalf("the worker's first message: %v", m)
	}
	return w
}

// send writes tasks, one line each, in one write.
func (w *testWorker) send(t *testing.T, tasks ...string) {
	t.Helper()
	if _, err := w.c.WriteString(strings.Join(tasks, "")); err != nil {
		t.Fatal(err)
	}
}

// taskLine is a task as the daemon writes it (internal/pool's taskLine).
func taskLine(id, data string) string {
	return `{"type":"task","id":"` + id + `","data":` + data + `,"timeout_ms":30000}` + "\n"
}

func (w *testWorker) read(t *testing.T) map[string]any {
	t.Helper()
	w.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := w.br.ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading an answer: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("an answer that is not one JSON line: %v: %.200q", err, line)
	}
	return m
}

// results reads n answers and returns their data by id, failing on an
// error answer.
func (w *testWorker) results(t *testing.T, n int) map[string]any {
	t.Helper()
	out := map[string]any{}
	for range n {
		m := w.read(t)
		if m["type"] != "result" {
			t.Fatalf("answer %v", m)
		}
		id := m["id"].(string)
		if _, twice := out[id]; twice {
			t.Fatalf("task %s answered twice", id)
		}
		out[id] = m["data"]
	}
	return out
}

func (w *testWorker) created(t *testing.T) float64 {
	t.Helper()
	w.send(t, taskLine("created", `{"created":true}`))
	return w.results(t, 1)["created"].(float64)
}

// Tasks in flight at once run at once, however many come together, and
// on goroutines that are kept: 800 tasks, 16 at a time, take no more
// goroutines than the most that ran together (each new one's stack grew
// for encoding/json: a quarter of an echo worker's CPU).
func TestServeTasksRunsTasksTogetherOnKeptGoroutines(t *testing.T) {
	w := startWorker(t)
	round := func(r, n int, data string) {
		lines := make([]string, n)
		for i := range lines {
			lines[i] = taskLine(fmt.Sprintf("r%d-%d", r, i), data)
		}
		w.send(t, lines...)
		for id, v := range w.results(t, n) {
			if data == `{"together":16}` && v != "together" {
				t.Fatalf("task %s: %v", id, v)
			}
		}
	}
	round(0, 16, `{"together":16}`)
	before := w.created(t)
	for r := 1; r <= 50; r++ {
		round(r, 16, `{"echo":1}`)
	}
	round(51, 16, `{"together":16}`)
	if made := w.created(t) - before; made > 4 {
		t.Errorf("800 tasks, 16 at a time, on goroutines already made: %v more made", made)
	}
	round(52, 32, `{"together":32}`) // more at once than ever: more goroutines
}

// A daemon that reads late (its socket full) still gets every answer
// whole, once: answers that wait for another's write go with it.
func TestAnswersStayWholeWhenTheChannelIsFull(t *testing.T) {
	w := startWorker(t)
	const n, size = 200, 20000 // 4 MB, far past a socket's buffer
	lines := make([]string, n)
	for i := range lines {
		lines[i] = taskLine(fmt.Sprintf("b%d", i), fmt.Sprintf(`{"big":%d}`, size))
	}
	w.send(t, lines...)
	time.Sleep(200 * time.Millisecond) // let the answers pile up behind a full socket
	got := w.results(t, n)
	for i := range n {
		id := fmt.Sprintf("b%d", i)
		if s, _ := got[id].(string); len(s) != size {
			t.Fatalf("task %s: %d bytes, want %d", id, len(s), size)
		}
	}
}

// taskOf reads the daemon's task lines as encoding/json does, and leaves
// any other line to it.
func TestTaskOfReadsTheDaemonsLines(t *testing.T) {
	for _, data := range []string{
		`{"n":30}`, `1`, `"a string"`, `null`, `[1,2,{"x":[]}]`,
		`{"timeout_ms":5}`, `{"a":",\"timeout_ms\":7}"}`, `{"s":"é \u0000 \" \\"}`,
	} {
		line := strings.TrimSuffix(taskLine("mx7sd3ec-b5-12", data), "\n")
		got, ok := taskOf([]byte(line))
		var want struct {
			Type string `json:"type"`
			task
		}
		if err := json.Unmarshal([]byte(line), &want); err != nil {
			t.Fatal(err)
		}
		if !ok || got.ID != want.ID || string(got.Data) != string(want.Data) || got.TimeoutMS != want.TimeoutMS {
			t.Errorf("taskOf(%s) = %+v %v, want %+v", line, got, ok, want.task)
		}
	}
	for _, line := range []string{
		`{"type":"task","id":"a\"b","data":1,"timeout_ms":5}`,
		`{"type":"task","id":"a","data":1}`,
		`{"type":"task","id":"a","data":1,"timeout_ms":5} `,
		`{"type":"task","id":"a","data":1,"timeout_ms":-5}`,
		`{"type":"task","id":"","data":1,"timeout_ms":5}`,
		`{"type":"shutdown"}`,
		`{"id":"a","type":"task","data":1,"timeout_ms":5}`,
	} {
		if got, ok := taskOf([]byte(line)); ok {
			t.Errorf("taskOf(%s) = %+v, want it left to encoding/json", line, got)
		}
	}
}
