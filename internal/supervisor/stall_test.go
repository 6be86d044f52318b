package supervisor

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

// TestStalledDiskMakesTheAppWait: when the log cannot be written (here a
// FIFO nobody reads, a disk that stalls), the pipe fills and the app
// waits: nothing is dropped, and tend still answers.
func TestStalledDiskMakesTheAppWait(t *testing.T) {
	s, _ := newSup(t)
	fifo := filepath.Join(t.TempDir(), "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err) // not a missing tool: a broken machine
	}
	n := 300_000 // ~4 MB: far more than a pipe and the writer's buffer hold
	a := helperApp("stalled", "lines", fmt.Sprint(n))
	a.Autorestart = spec.RestartNever
	a.OutFile = fifo
	off := false
	a.Time = &off
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	// Nobody reads for half a second: the stall we impose. The app must
	// be blocked, not ended, and tend must still answer (List does not
	// wait on the stuck writer).
	time.Sleep(500 * time.Millisecond)
	if v := state(s, "stalled"); v.State != Online && v.State != Starting {
		t.Fatalf("app %s while its log is stalled; want it blocked, still running", v.State)
	}
	if v := state(s, "stalled"); v.LostLogs != 0 {
		t.Fatalf("%d lines counted lost", v.LostLogs)
	}
	// The disk comes back: every line arrives, in order.
	f, err := os.Open(fifo)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for i := 1; i <= n; i++ {
		if !sc.Scan() {
			t.Fatalf("stream ended after %d lines: %v", i-1, sc.Err())
		}
		if want := fmt.Sprintf("line %d", i); sc.Text() != want {
			t.Fatalf("line %d is %q", i, sc.Text())
		}
	}
	testutil.WaitFor(t, 10*time.Second, "the app to end", func() bool { return state(s, "stalled").State == Stopped })
}
