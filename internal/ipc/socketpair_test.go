package ipc

import (
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// A channel made while another goroutine starts a process must not end
// up in that process: it would hold the channel open after its own child
// died. Before the pair was close-on-exec from birth, a quarter of these
// children held a socket.
func TestPairIsNotInheritedByAConcurrentStart(t *testing.T) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			c, child, err := Pair(false)
			if err != nil {
				t.Error(err)
				return
			}
			c.Close()
			child.Close()
		}
	})
	defer wg.Wait()
	defer stop.Store(true)
	leaked := 0
	for range 300 {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "ls -l /proc/$$/fd | grep -c socket"},
			&syscall.ProcAttr{Files: []uintptr{0, w.Fd(), 2}})
		w.Close()
		if err != nil {
			r.Close()
			t.Fatal(err)
		}
		b := make([]byte, 64)
		n, _ := r.Read(b)
		r.Close()
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
		if strings.TrimSpace(string(b[:n])) != "0" {
			leaked++
		}
	}
	if leaked > 0 {
		t.Errorf("%d of 300 children started beside Pair held a socket they were not given", leaked)
	}
}
