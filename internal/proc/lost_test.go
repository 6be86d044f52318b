package proc

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// TestAnExitTakenElsewhereEndsAsLost: when another wait4 in the process
// takes a child's exit status, the reaper never sees it; the SIGCHLD it
// gets with nothing to reap makes it look, and the process ends as lost
// (its Done closes) instead of never.
func TestAnExitTakenElsewhereEndsAsLost(t *testing.T) {
	s := newSpawner(t)
	for try := 0; ; try++ {
		p, r := startHelper(t, s, "sleep", "")
		readLine(t, r)
		stolen := make(chan error, 1)
		go func() {
			var ws syscall.WaitStatus
			_, err := syscall.Wait4(p.Pid, &ws, 0, nil)
			stolen <- err
		}()
		time.Sleep(50 * time.Millisecond) // let the wait begin; a late one only loses the race
		syscall.Kill(p.Pid, syscall.SIGKILL)
		err := <-stolen
		if err != nil && (!errors.Is(err, syscall.ECHILD) || try == 10) {
			t.Fatalf("wait4(%d): %v", p.Pid, err)
		}
		select {
		case <-p.Done():
		case <-time.After(2 * time.Second):
			t.Fatalf("pid %d: not done 2s after its exit was taken elsewhere (sweepEvery is %s)", p.Pid, sweepEvery)
		}
		if err != nil {
			continue // the reaper won: an ordinary exit; again
		}
		if st := p.Status(); !st.Lost || st.String() != "lost" {
			t.Errorf("status %+v (%s), want lost", st, st)
		}
		return
	}
}
