package metrics

import (
	"testing"
	"time"
)

// TestSeriesRing writes an hour and a half of seconds with holes and
// reads back the last hour: each second as written, a hole as a gap, and
// memory no more than the full ring's.
func TestSeriesRing(t *testing.T) {
	var s Series
	t0 := time.Unix(1_800_000_000, 0)
	hole := func(k int) bool { return k%7 == 3 || (k >= 4000 && k < 4400) }
	const total = 5400
	for k := range total {
		if !hole(k) {
			s.Add(t0.Add(time.Duration(k)*time.Second), float64(k%1000)/10, uint64(k)<<10, k%65536)
		}
	}
	if b := s.Bytes(); b > SeriesBytes {
		t.Errorf("ring holds %d bytes, more than %d", b, SeriesBytes)
	}
	now := t0.Add((total - 1) * time.Second)
	start, w := s.Window(now, SeriesSpan)
	if want := t0.Unix() + total - SeriesSpan; start != want || len(w) != SeriesSpan {
		t.Fatalf("window from %d, %d samples; want from %d, %d", start, len(w), want, SeriesSpan)
	}
	for i, smp := range w {
		k := int(start-t0.Unix()) + i
		if hole(k) {
			if smp.OK() {
				t.Fatalf("second %d was not measured, reads %+v", k, smp)
			}
			continue
		}
		if !smp.OK() || smp.CPU() != float64(k%1000)/10 || smp.RSS() != uint64(k)<<10 || smp.FDs() != k {
			t.Fatalf("second %d: cpu %v rss %d fds %d ok %v", k, smp.CPU(), smp.RSS(), smp.FDs(), smp.OK())
		}
	}
	// Asking beyond the newest sample gives gaps, not the hour-old slots.
	_, later := s.Window(now.Add(10*time.Second), 10)
	for _, smp := range later {
		if smp.OK() {
			t.Fatal("a second after the newest sample reads as measured")
		}
	}
	// An hour after the last sample the ring lets go of its pages.
	s.Trim(now.Add(SeriesSpan * time.Second))
	if b := s.Bytes(); b != 0 {
		t.Errorf("after an hour stopped the ring holds %d bytes", b)
	}
	var fresh Series
	fresh.Add(t0, 1, 1<<20, 3)
	if b := fresh.Bytes(); b != pageLen*8 {
		t.Errorf("one sample takes %d bytes, want one page, %d", b, pageLen*8)
	}
}

// TestSampleBounds: values beyond a field's range are capped, not wrapped.
func TestSampleBounds(t *testing.T) {
	s := makeSample(1e9, 1<<60, 1<<20)
	if s.CPU() != 6553.4 || s.FDs() != 65535 || s.RSS() != uint64(1<<32-1)<<10 {
		t.Errorf("capped sample: cpu %v fds %d rss %d", s.CPU(), s.FDs(), s.RSS())
	}
	if z := makeSample(-5, 0, -1); !z.OK() || z.CPU() != 0 || z.FDs() != 0 {
		t.Errorf("zero sample: %+v", z)
	}
}
