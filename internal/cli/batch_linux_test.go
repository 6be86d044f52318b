package cli

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A stream's CLI runs every thread it has, and every one it makes after,
// as SCHED_BATCH, each thread's nice kept. In a child process: the policy is the
// process's for good.
func TestYieldOnWakeSetsEveryThread(t *testing.T) {
	if os.Getenv("TEND_TEST_YIELD_CHILD") == "1" {
		yieldChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestYieldOnWakeSetsEveryThread$")
	cmd.Env = append(os.Environ(), "TEND_TEST_YIELD_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child: %v\n%s", err, out)
	}
	var threads int
	for _, line := range strings.Split(string(out), "\n") {
		tid, rest, ok := strings.Cut(line, " policy ")
		if !ok {
			continue
		}
		threads++
		var policy, nice, was int
		if _, err := fmt.Sscanf(rest, "%d nice %d was %d", &policy, &nice, &was); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if policy != unix.SCHED_BATCH {
			t.Errorf("thread %s: policy %d, want %d (SCHED_BATCH)", tid, policy, unix.SCHED_BATCH)
		}
		if was != unknownNice && nice != was {
			t.Errorf("thread %s: nice %d, was %d", tid, nice, was)
		}
	}
	if threads < 4 {
		t.Fatalf("%d threads seen, want 4 or more:\n%s", threads, out)
	}
}

// yieldChild has threads before and after yieldOnWake, a nice of 5, and
// prints each thread's policy and nice.
func yieldChild() {
	hold := make(chan struct{})
	started := make(chan struct{})
	thread := func() {
		go func() {
			runtime.LockOSThread() // a thread of its own, kept while it waits
			started <- struct{}{}
			<-hold
		}()
		<-started
	}
	thread()
	thread()
	for _, tid := range threadIDs() { // a nice is a thread's own
		if err := unix.Setpriority(unix.PRIO_PROCESS, tid, 5); err != nil {
			fmt.Println("setpriority:", err)
			os.Exit(1)
		}
	}
	was := map[int]int{}
	for _, tid := range threadIDs() {
		was[tid] = int(attr(tid).Nice)
	}
	yieldOnWake()
	thread()
	thread()
	for _, tid := range threadIDs() {
		a := attr(tid)
		w, ok := was[tid]
		if !ok {
			w = unknownNice // made after the look
		}
		fmt.Printf("%d policy %d nice %d was %d\n", tid, a.Policy, a.Nice, w)
	}
	close(hold)
	os.Exit(0)
}

const unknownNice = 99

func attr(tid int) *unix.SchedAttr {
	a, err := unix.SchedGetAttr(tid, 0)
	if err != nil {
		fmt.Println(tid, err)
		os.Exit(1)
	}
	return a
}
