package supervisor

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("needs /proc")
	}
	return len(ents)
}

// zombieChildren counts zombies whose parent is this process.
func zombieChildren() int {
	self := []byte(" " + strconv.Itoa(os.Getpid()) + " ")
	n := 0
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i > 0 && bytes.HasPrefix(b[i+1:], []byte(" Z")) && bytes.HasPrefix(b[i+3:], self) {
			n++
		}
	}
	return n
}

// TestThousandCrashRestartsLeakNothing: a program that forks a child and
// exits, restarted 1,000 times (10 instances, as the start limit allows
// each 10 starts a second), leaves no zombie, no extra fd and no extra
// goroutine behind.
func TestThousandCrashRestartsLeakNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 restarts")
	}
	s, _ := newSup(t)
	fds0, gor0 := openFDs(t), runtime.NumGoroutine()
	zero := spec.Duration(0)
	app := &spec.App{Name: "forker", Script: "/bin/sh", Args: []string{"-c", "/bin/sleep 0.01 & exit 1"}, MinUptime: &zero, Instances: 10}
	if err := s.Add([]*spec.App{app}, false); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 3*time.Minute, "1,000 restarts", func() bool {
		v, _ := s.Get("forker")
		n := 0
		for _, in := range v.Instances {
			n += in.Restarts
		}
		return n >= 1000
	})
	if err := s.Stop("forker"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("forker"); err != nil {
		t.Fatal(err)
	}
	// The last orphaned sleep ends within its 10ms and is reaped.
	testutil.WaitFor(t, 5*time.Second, "no zombie children", func() bool { return zombieChildren() == 0 })
	testutil.WaitFor(t, 5*time.Second, "fds back to the start ±2", func() bool {
		d := openFDs(t) - fds0
		return d >= -2 && d <= 2
	})
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > gor0 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines %d → %d:\n%s", gor0, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("orphans reaped by the subreaper: %d; fds %d → %d; goroutines %d → %d",
		s.spawner.Orphans(), fds0, openFDs(t), gor0, runtime.NumGoroutine())
}
