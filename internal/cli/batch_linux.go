package cli

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// yieldOnWake makes every thread of this process SCHED_BATCH (from
// SCHED_OTHER only; its nice kept), and so every thread it makes after
// (a thread takes its maker's policy). A stream's CLI is woken for
// answers many times a second; a woken SCHED_OTHER thread preempts what
// runs on the CPU it lands on, a worker amid a task or the daemon amid
// its writes, and the CLI then runs for a few µs and sleeps again. As
// SCHED_BATCH it waits for its turn, with the same share of CPU, and
// finds more answers when it reads (bench/pool_rounds.sh: its CPU a
// fib(25) task 20–30 → 3–7 µs, an echo at per_worker 1 35–39 → 31–33 µs
// a task). Best effort: a thread that cannot be set is left as it is.
func yieldOnWake() {
	// Twice: a thread made during the first pass, by one not yet set,
	// took SCHED_OTHER.
	for range 2 {
		for _, tid := range threadIDs() {
			a, err := unix.SchedGetAttr(tid, 0)
			if err != nil || a.Policy != unix.SCHED_NORMAL {
				continue
			}
			a.Policy = unix.SCHED_BATCH
			unix.SchedSetAttr(tid, a, 0)
		}
	}
}

// threadIDs lists this process's threads (none if /proc cannot say).
func threadIDs() []int {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids
}
