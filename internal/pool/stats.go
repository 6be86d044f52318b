package pool

import (
	"slices"
	"time"
)

// Stats are a pool's counts and rates, for ls, show and /metrics.
type Stats struct {
	Queued    int   `json:"queued"`
	InFlight  int   `json:"in_flight"`
	Workers   int   `json:"workers"` // taking tasks now
	QueueMax  int   `json:"queue_max"`
	Submitted int64 `json:"submitted"`
	Done      int64 `json:"done"`
	Failed    int64 `json:"failed"`
	Lost      int64 `json:"lost"`
	Retried   int64 `json:"retried"`
	// Throughput is tasks ended a second over the last 10 seconds.
	Throughput float64 `json:"throughput"`
	// P50 and P99 are of the last 1,024 tasks' latency, from submit to
	// end.
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	// Buckets count the tasks by latency, cumulatively, at Bounds.
	Buckets []uint64      `json:"-"`
	Sum     time.Duration `json:"-"`
}

// Bounds are the latency histogram's upper bounds, for /metrics.
var Bounds = []time.Duration{
	100 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 5 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute,
}

const (
	latencies = 1024
	rateSecs  = 10
)

type counters struct {
	submitted, done, failed, lost, retried int64

	lat    [latencies]time.Duration // a ring of the last latencies
	latN   int
	bucket [14]uint64 // by Bounds, and one over the last
	sum    time.Duration

	secs  [rateSecs]int64 // tasks ended in each of the last seconds
	secAt [rateSecs]int64 // which second (unix) each slot counts
}

func (c *counters) ended(st Status, lat time.Duration, now time.Time) {
	switch st {
	case Done:
		c.done++
	case Failed:
		c.failed++
	case Lost:
		c.lost++
		return // no latency: it never ended on its own
	}
	c.lat[c.latN%latencies] = lat
	c.latN++
	i, _ := slices.BinarySearch(Bounds, lat)
	c.bucket[i]++
	c.sum += lat
	sec := now.Unix()
	slot := sec % rateSecs
	if c.secAt[slot] != sec {
		c.secAt[slot], c.secs[slot] = sec, 0
	}
	c.secs[slot]++
}

// Open is how many tasks the pool holds, queued or running.
func (p *Pool) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.queued
	for _, w := range p.workers {
		n += w.inflight.n
	}
	return n
}

// A Counter is told how many tasks the pool holds (queued or running) at
// every change, under the pool's lock: Set must be quick and take no
// lock. The supervisor's keeps it where a daemon killed with no shutdown
// leaves it for the next, which reports them lost.
type Counter interface{ Set(n uint64) }

// CountIn has c told the tasks held from now on (nil: none is).
func (p *Pool) CountIn(c Counter) {
	p.mu.Lock()
	p.count = c
	p.setCount()
	p.mu.Unlock()
}

// setCount tells the count the tasks held; p.mu is held.
func (p *Pool) setCount() {
	if p.count != nil {
		c := &p.stats
		p.count.Set(uint64(c.submitted - c.done - c.failed - c.lost))
	}
}

// Stats returns the pool's counts now.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	c := &p.stats
	s := Stats{Queued: p.queued, Workers: len(p.usable()), QueueMax: p.set.QueueMax,
		Submitted: c.submitted, Done: c.done, Failed: c.failed, Lost: c.lost, Retried: c.retried, Sum: c.sum}
	for _, w := range p.workers {
		s.InFlight += w.inflight.n
	}
	now := time.Now().Unix()
	var n int64
	for i, at := range c.secAt {
		// The last full seconds, not the one going on.
		if at < now && at >= now-rateSecs {
			n += c.secs[i]
		}
	}
	s.Throughput = float64(n) / rateSecs
	lat := make([]time.Duration, min(c.latN, latencies))
	copy(lat, c.lat[:len(lat)])
	var cum uint64
	s.Buckets = make([]uint64, len(Bounds))
	for i := range Bounds {
		cum += c.bucket[i]
		s.Buckets[i] = cum
	}
	p.mu.Unlock()
	if len(lat) > 0 {
		slices.Sort(lat)
		s.P50 = lat[len(lat)*50/100]
		s.P99 = lat[min(len(lat)*99/100, len(lat)-1)]
	}
	return s
}
