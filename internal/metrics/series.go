package metrics

import (
	"math"
	"sync"
	"time"
)

// SeriesSpan is how far back a Series reaches, a sample a second.
const SeriesSpan = 3600

// pageLen samples make a page: a Series holds only the pages it has
// samples in, so an instance started a minute ago holds one page (2.4
// KB), and one stopped for an hour none.
const (
	pageLen  = 300
	numPages = SeriesSpan / pageLen
)

// SeriesBytes is what a full Series takes: 8 bytes a second for an hour.
const SeriesBytes = SeriesSpan * 8

// Sample is one second of an instance, in 8 bytes. The zero Sample is a
// second not measured (the instance was not running, or the sampler
// missed it).
type Sample struct {
	cpu uint16 // tenths of a percent of one core, plus one: 0 is no sample
	fds uint16
	rss uint32 // KiB
}

// OK reports whether the second was measured.
func (s Sample) OK() bool { return s.cpu != 0 }

// CPU is percent of one core, at most 6553.4 (65 cores busy).
func (s Sample) CPU() float64 { return float64(s.cpu-1) / 10 }

// RSS is bytes, to the KiB, at most 4 TiB.
func (s Sample) RSS() uint64 { return uint64(s.rss) << 10 }

// FDs is open descriptors, at most 65535.
func (s Sample) FDs() int { return int(s.fds) }

func makeSample(cpuPct float64, rss uint64, fds int) Sample {
	c := math.Round(cpuPct*10) + 1
	c = min(max(c, 1), math.MaxUint16)
	return Sample{
		cpu: uint16(c),
		fds: uint16(min(max(fds, 0), math.MaxUint16)),
		rss: uint32(min(rss>>10, math.MaxUint32)),
	}
}

// Series is an instance's last hour, a sample a second, in a ring indexed
// by the second: the slot of second t is t mod SeriesSpan, so the ring
// needs no timestamps, and a second nobody measured reads as a gap. It is
// safe for concurrent use.
type Series struct {
	mu    sync.Mutex
	pages [numPages]*[pageLen]Sample
	last  int64 // the newest sample's unix second; 0 before the first
}

// Add records a sample for the second of at. A second already measured
// is measured again (the newer wins); one older than the newest is
// dropped.
func (s *Series) Add(at time.Time, cpuPct float64, rss uint64, fds int) {
	t := at.Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	if t < s.last {
		return
	}
	if s.last > 0 {
		s.clear(s.last+1, t) // the seconds between were not measured
	}
	i := t % SeriesSpan
	p := &s.pages[i/pageLen]
	if *p == nil {
		*p = new([pageLen]Sample)
	}
	(*p)[i%pageLen] = makeSample(cpuPct, rss, fds)
	s.last = t
}

// clear empties the slots of seconds [from, to), dropping every page left
// with no sample.
func (s *Series) clear(from, to int64) {
	if from >= to {
		return // the usual case: the next second
	}
	if to-from >= SeriesSpan {
		s.pages = [numPages]*[pageLen]Sample{}
		return
	}
	for t := from; t < to; t++ {
		i := t % SeriesSpan
		if p := s.pages[i/pageLen]; p != nil {
			p[i%pageLen] = Sample{}
		}
	}
	for k, p := range s.pages {
		if p != nil && *p == ([pageLen]Sample{}) {
			s.pages[k] = nil
		}
	}
}

// Trim drops what is older than an hour at now: an instance that stopped
// an hour ago holds nothing.
func (s *Series) Trim(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last > 0 && now.Unix()-s.last >= SeriesSpan {
		s.pages = [numPages]*[pageLen]Sample{}
	}
}

// Bytes is the memory the ring's pages take now.
func (s *Series) Bytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.pages {
		if p != nil {
			n += pageLen * 8
		}
	}
	return n
}

// Window returns the last n seconds up to now's, oldest first, and the
// unix second of the first: a gap for every second not measured.
func (s *Series) Window(now time.Time, n int) (start int64, out []Sample) {
	n = min(max(n, 0), SeriesSpan)
	end := now.Unix()
	start = end - int64(n) + 1
	out = make([]Sample, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range out {
		t := start + int64(k)
		if t > s.last || s.last-t >= SeriesSpan {
			continue // newer than the newest sample, or overwritten since
		}
		i := t % SeriesSpan
		if p := s.pages[i/pageLen]; p != nil {
			out[k] = p[i%pageLen]
		}
	}
	return start, out
}
