package pool

// inflight is a worker's tasks in flight, in the order it was given them:
// a list through the tasks themselves (a task in flight is in no queue,
// so its next is free), for the first in O(1) and any out in O(1).
//
// Only the first has its clock running (a deadline): a worker that runs
// one task at a time, as a Node worker's event loop does, begins a task
// when it has answered those given before it, and the wait in its
// channel is not the task's time. A worker that runs them at once is no
// worse off: a stuck task's clock starts at the latest when the tasks
// given before it have ended or timed out.
type inflight struct {
	first, last *task
	n           int
}

// add puts t last.
func (l *inflight) add(t *task) {
	t.prev, t.next = l.last, nil
	if l.last != nil {
		l.last.next = t
	} else {
		l.first = t
	}
	l.last = t
	l.n++
}

// remove takes t out and reports whether it was first.
func (l *inflight) remove(t *task) bool {
	first := l.first == t
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		l.first = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		l.last = t.prev
	}
	t.prev, t.next = nil, nil
	l.n--
	return first
}
