package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/pool"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/supervisor"
	"github.com/tend-pm/tend/internal/testutil"
)

func TestMain(m *testing.M) {
	testutil.RunHelperIfAsked()
	os.Exit(m.Run())
}

// poolOf adds a pool of n of testutil's pool workers to sup and waits
// for one to answer.
func poolOf(t *testing.T, sup *supervisor.Supervisor, name string, n int) {
	t.Helper()
	argv, env := testutil.HelperArgv("poolworker")
	k, v, _ := strings.Cut(env, "=")
	if err := sup.Add([]*spec.App{{Name: name, Script: argv[0], Args: argv[1:], Env: map[string]string{k: v},
		Instances: n, Pool: &spec.Pool{}}}, false); err != nil {
		t.Fatal(err)
	}
	taskWithin(t, sup, name, `{"echo":0}`, 10*time.Second)
}

// taskWithin submits data to name's pool and fails unless it is done
// within d.
func taskWithin(t *testing.T, sup *supervisor.Supervisor, name, data string, d time.Duration) {
	t.Helper()
	k, err := sup.SubmitTask(name, json.RawMessage(data), pool.SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-k.Done():
	case <-time.After(d):
		t.Fatalf("task %s not ended within %s: %+v", data, d, k.Record())
	}
	if r := k.Record(); r.Status != pool.Done {
		t.Fatalf("task %s: %+v", data, r)
	}
}

// A stream's client that does not read its answers holds up no one
// else's task: the workers' readers do not wait for it (they did, up to
// the stream's write deadline, and every task on those workers with
// them), and the stream stops reading that client's tasks while its
// answers wait, rather than hold answers without bound.
func TestAStreamNotReadHoldsUpNoOtherTask(t *testing.T) {
	sup, sock := serveSup(t, Limits{Body: 30 * time.Second}, slog.New(slog.DiscardHandler))
	poolOf(t, sup, "p", 2)

	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.(*net.UnixConn).SetReadBuffer(4096)
	const tasks, size = 2000, 60_000
	go func() { // never reads
		if _, err := c.Write([]byte("POST /v1/pools/p/tasks/stream HTTP/1.1\r\nHost: tend\r\nTransfer-Encoding: chunked\r\n\r\n")); err != nil {
			return
		}
		line := fmt.Sprintf(`{"echo":"%s"}`+"\n", strings.Repeat("x", size))
		chunk := fmt.Sprintf("%x\r\n%s\r\n", len(line), line)
		for range tasks {
			if _, err := c.Write([]byte(chunk)); err != nil {
				return
			}
		}
	}()
	// Twenty answers of 60 KB are more than the sockets between hold.
	var done int64
	testutil.WaitFor(t, 10*time.Second, "20 of the stream's tasks done (as many as were)", func() bool {
		st, _ := sup.PoolStats("p")
		if st.Done != done {
			done = st.Done
			t.Logf("%d done", done)
		}
		return st.Done >= 21
	})
	taskWithin(t, sup, "p", `{"echo":1}`, 3*time.Second)
	// The stream has stopped taking its client's tasks: two looks a
	// while apart see the same count, far short of what was sent.
	var last int64 = -1
	testutil.WaitFor(t, 10*time.Second, "the stream to stop taking tasks", func() bool {
		st, _ := sup.PoolStats("p")
		n := st.Submitted
		if n == last {
			return true
		}
		last = n
		time.Sleep(300 * time.Millisecond)
		return false
	})
	t.Logf("%d tasks taken, then none", last)
	if last >= tasks/2 {
		t.Fatalf("%d of the %d tasks taken from a client that reads no answer: its answers are held without bound", last, tasks)
	}
}
