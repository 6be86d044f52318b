package pool

import (
	"encoding/json"
	"testing"
	"time"
)

// batch reads n answers at now, the worker holding held after each.
func (pc *pace) batchAt(now time.Time, n, held int) time.Duration {
	for range n {
		pc.answered(held)
	}
	pc.looked(now)
	return pc.linger()
}

func TestLingerFollowsTheWorkersPace(t *testing.T) {
	t0 := time.Now()
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	// Woken by each answer, a millisecond apart, 32 in hand: the reader
	// may look later, by the work in hand, within maxLinger.
	var pc pace
	for i := range 20 {
		pc.batchAt(at(time.Duration(i)*time.Millisecond), 1, 32)
	}
	if pc.gap != time.Millisecond {
		t.Fatalf("gap %s, want 1ms", pc.gap)
	}
	if d := pc.linger(); d != maxLinger {
		t.Fatalf("32 tasks of 1 ms in hand: linger %s, want maxLinger (%s)", d, maxLinger)
	}
	// Six in hand: four may be done before the look, less the margin.
	pc.batchAt(at(20*time.Millisecond), 1, 6)
	if d, want := pc.linger(), 4*time.Millisecond-lingerMargin; d != want {
		t.Fatalf("6 tasks of 1 ms in hand: linger %s, want %s", d, want)
	}
	// Four: 1.8 ms, too short a look to be worth its wake-up.
	pc.batchAt(at(21*time.Millisecond), 1, 4)
	if d := pc.linger(); d != 0 {
		t.Fatalf("4 tasks of 1 ms in hand: linger %s, want 0 (under minLinger)", d)
	}
	// Answers read together after a look count the look's time over them.
	pc = pace{}
	pc.batchAt(at(0), 1, 16)
	for i := 1; i <= 40; i++ {
		pc.batchAt(at(time.Duration(i)*4*time.Millisecond), 8, 16) // 8 answers every 4 ms: 500 µs each
	}
	if pc.gap < 490*time.Microsecond || pc.gap > 600*time.Microsecond {
		t.Fatalf("8 answers a look every 4 ms: gap %s, want ~500µs", pc.gap)
	}
}

func TestLingerIsNoneWhenTheWorkerCouldRunOut(t *testing.T) {
	t0 := time.Now()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	for _, c := range []struct {
		name string
		held int
		gap  time.Duration
	}{
		{"two in hand (per_worker 2)", 2, 10 * time.Millisecond},
		{"fast tasks: less work in hand than a look is worth", 16, 100 * time.Microsecond},
		{"nothing known yet", 16, 0},
	} {
		var pc pace
		if c.gap > 0 {
			for i := range 10 {
				pc.batchAt(at(time.Duration(i)*c.gap), 1, c.held)
			}
		} else {
			pc.batchAt(at(0), 1, c.held)
		}
		if d := pc.linger(); d != 0 {
			t.Errorf("%s: linger %s, want 0 (be woken by the answer)", c.name, d)
		}
	}
}

// A look that finds every task in hand answered came too late: the
// worker ran out and waited. The pace is halved rather than taken from
// that look (whose time was partly the worker's idleness), so the next
// look comes sooner.
func TestLingerShortensAfterALookTooLate(t *testing.T) {
	t0 := time.Now()
	var pc pace
	for i := range 10 {
		pc.batchAt(t0.Add(time.Duration(i)*time.Millisecond), 1, 8)
	}
	before := pc.linger()
	if before == 0 {
		t.Fatal("8 tasks of 1 ms in hand: no linger, want one")
	}
	gap := pc.gap
	pc.batchAt(t0.Add(50*time.Millisecond), 8, 0) // all 8 answered, 41 ms later
	if pc.gap != gap/2 {
		t.Fatalf("after a look too late: gap %s, want %s (halved)", pc.gap, gap/2)
	}
	// It holds nothing now: no linger until it holds work again.
	if d := pc.linger(); d != 0 {
		t.Fatalf("with nothing in hand: linger %s, want 0", d)
	}
	// Tasks dispatched to it meanwhile by a submit are not counted as
	// its pace: a batch after an idle worker takes no sample.
	pc.batchAt(t0.Add(90*time.Millisecond), 5, 8)
	if pc.gap != gap/2 {
		t.Fatalf("a batch after the worker held nothing changed the gap to %s", pc.gap)
	}
}

// The pool tells a worker's pace what it holds after each answer, its
// refill included.
func TestFinishTellsThePaceWhatTheWorkerHolds(t *testing.T) {
	set := settings()
	set.QueueMax, set.PerWorker = 100, 16
	p := New("thumbs", set, Hooks{})
	f := newFake("thumbs:0")
	p.Join(f.w)
	for range 20 {
		submit(t, p, `1`)
	}
	ids := make([]string, 16)
	for i := range ids {
		ids[i] = f.next(t)
	}
	if !p.Finish(f.w, ids[0], json.RawMessage(`1`), "", false) {
		t.Fatal("finish refused")
	}
	f.w.Linger()
	if f.w.pace.held != 16 {
		t.Fatalf("after one answer and its refill the pace says %d in hand, want 16", f.w.pace.held)
	}
	for _, id := range ids[1:] {
		p.Finish(f.w, id, json.RawMessage(`1`), "", false)
	}
	f.w.Linger()
	if f.w.pace.held != 4 {
		t.Fatalf("after 16 answers (4 queued left to refill) the pace says %d in hand, want 4", f.w.pace.held)
	}
}

// An answer that came in time but waited out a linger is read before its
// task's deadline: the longest linger is well within the shortest grace.
func TestLingerStaysWithinGrace(t *testing.T) {
	if g := grace(time.Millisecond); maxLinger*2 > g {
		t.Fatalf("maxLinger %s against a grace of %s: an answer in time could be read after its deadline", maxLinger, g)
	}
}

// A stall makes one sample long: a worker of 10 µs tasks that once took
// 5 ms for one (its process descheduled on a busy host) keeps a pace of
// about 10 µs, and its reader does not linger on the strength of it; nor
// does a stall among the first samples set the pace.
func TestAStallDoesNotSetThePace(t *testing.T) {
	t0 := time.Now()
	const gap = 10 * time.Microsecond
	var pc pace
	at := t0
	for range 20 {
		at = at.Add(gap)
		pc.batchAt(at, 1, 16)
	}
	at = at.Add(5 * time.Millisecond)
	if d := pc.batchAt(at, 1, 16); d != 0 || pc.gap > 2*gap {
		t.Fatalf("after one stall of 5 ms: gap %s, linger %s; want about %s and none", pc.gap, d, gap)
	}

	pc = pace{}
	at = t0
	pc.batchAt(at, 1, 16)
	at = at.Add(5 * time.Millisecond)
	pc.batchAt(at, 1, 16) // the first sample: a stall
	for range firstSamples - 1 {
		at = at.Add(gap)
		pc.batchAt(at, 1, 16)
	}
	if d := pc.linger(); d != 0 || pc.gap != gap {
		t.Fatalf("a stall among the first samples: gap %s, linger %s; want %s and none", pc.gap, d, gap)
	}
}
