package pool

import "time"

// A stamp is a moment of this daemon's life: the time since the pool
// package began, on the monotonic clock. A task keeps its moments as
// stamps rather than time.Time: 8 bytes and no pointer each, against 24
// and a *Location the collector looks at, for every task a queue holds
// (up to queue_max). Zero is no moment.
type stamp int64

// began is the moment stamps count from.
var began = time.Now()

// stampOf is the stamp of t, a time read from this daemon's clock.
func stampOf(t time.Time) stamp { return max(stamp(t.Sub(began)), 1) }

// Time is s as a time: its wall clock is began's, moved on by s, so a
// step of the system clock since the daemon began is not seen in it.
func (s stamp) Time() time.Time {
	if s == 0 {
		return time.Time{}
	}
	return began.Add(time.Duration(s))
}

// since is the time from s to now.
func (s stamp) since(now time.Time) time.Duration { return time.Duration(stampOf(now) - s) }
