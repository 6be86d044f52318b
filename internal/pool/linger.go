package pool

import "time"

// A worker's answers wake its reader in the daemon, one wake-up each, and
// on a machine where waking a core is dear (a VM's exit a wake-up) that
// is paid twice: by the daemon, and by the worker, whose write does the
// waking (the lesson's fib(25) in Node, fed by a reader woken at each
// answer, took 8-14% more time than in a bare loop; 2-4% with a reader
// that looked every millisecond instead). A worker with work enough in
// hand need not have its answers read as they come: its reader can look
// later and read several at once, as long as the worker is still busy
// when it looks.

// Bounds of a reader's look-later.
const (
	// maxLinger is the longest an answer waits in its channel: what a
	// busy worker adds to a task's latency, at most (the worker holds
	// more work than that, which the task's latency holds already). It
	// stays well within grace, or an answer in time could be read after
	// its task's deadline. 5 ms woke this daemon 0.92-1.04 times a fib(25)
	// task on a slower machine; 10 ms 0.55-0.63, 20 ms 0.45-0.54.
	maxLinger = 20 * time.Millisecond
	// minLinger is the shortest look-later taken: a shorter one gathers
	// too few answers to pay for its own wake-up (at 1 ms the daemon
	// switched more than when woken by each answer).
	minLinger = 2 * time.Millisecond
	// lingerMargin is kept off the time the worker's work in hand will
	// take, for the sleep's lateness (100-150 µs seen here).
	lingerMargin = 200 * time.Microsecond
	// firstSamples are taken, their least kept, before a reader lingers.
	firstSamples = 4
)

// pace is how long a worker's task takes while it has more: its
// reader's own (Finish and Linger), no lock.
type pace struct {
	since time.Time     // the end of the last batch of answers read
	held  int           // tasks the worker had in hand then
	batch int           // answers read since
	now   int           // tasks in hand after the last answer (its dispatch done)
	gap   time.Duration // a task's time, taken over looks that found the worker still busy
	taken int           // the samples of gap taken, up to firstSamples
}

// answered notes an answer read, after which the worker has held tasks
// in hand.
func (pc *pace) answered(held int) { pc.batch++; pc.now = held }

// looked ends a batch of answers read at now.
func (pc *pace) looked(now time.Time) {
	if pc.batch == 0 {
		return
	}
	switch {
	case pc.since.IsZero():
	case pc.held > pc.batch:
		// It still had work when looked at: busy throughout, batch
		// tasks in the time. A stall (of the worker, or of this reader,
		// on a busy host) makes a sample long, never short: the first
		// few give their least, and after them one moves the pace up by
		// an eighth at most. Else one stall of 5 ms had an echo worker's
		// reader linger 8 ms while the worker's 16 tasks took 130 µs.
		g := now.Sub(pc.since) / time.Duration(pc.batch)
		switch {
		case pc.taken < firstSamples:
			if pc.taken == 0 || g < pc.gap {
				pc.gap = g
			}
			pc.taken++
		default:
			g = min(g, 2*pc.gap)
			pc.gap += (g - pc.gap) / 8
		}
	case pc.held > 0:
		// It ran out of work before the look: looked too late.
		pc.gap /= 2
	}
	pc.since, pc.held, pc.batch = now, pc.now, 0
}

// linger is how long the reader may wait before it looks again: the time
// the worker's work in hand will take, but for the task under way, one
// more, and the margin; 0 (be woken by the next answer) below minLinger.
func (pc *pace) linger() time.Duration {
	if pc.taken < firstSamples || pc.held < 3 || pc.gap <= 0 {
		return 0
	}
	d := time.Duration(pc.held-2)*pc.gap - lingerMargin
	if d < minLinger {
		return 0
	}
	return min(d, maxLinger)
}

// Linger is called by w's reader once it holds no answer unread: it ends
// the batch just read, and says how long the reader may let the next
// answers gather before it looks (0: be woken by the next).
func (w *Worker) Linger() time.Duration {
	w.pace.looked(time.Now())
	return w.pace.linger()
}
