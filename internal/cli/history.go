package cli

import (
	"fmt"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/monit"
)

// printHistory charts each instance's history: one column a minute (the
// highest second in it), or a second when the span is a minute or two.
func printHistory(hs []apitype.History, now time.Time) {
	for k, h := range hs {
		if k > 0 {
			fmt.Fprintln(Stdout)
		}
		n := len(h.CPU)
		step := 60
		if n <= 120 {
			step = 1
		}
		unit := map[int]string{1: "second", 60: "minute"}[step]
		fmt.Fprintf(Stdout, "%s:%d  the last %s to %s, a column a %s (its highest second); ring %s\n",
			h.App, h.Instance, human(time.Duration(n)*time.Second), now.Format("15:04:05"), unit, bytesHuman(uint64(h.RingBytes)))
		measured := 0
		for _, c := range h.CPU {
			if c != nil {
				measured++
			}
		}
		if measured == 0 {
			fmt.Fprintln(Stdout, "  not measured: not running in that time")
			continue
		}
		cpu, rss, fds := monit.Floats(h.CPU), monit.Floats(h.RSS), monit.Floats(h.FDs)
		line := func(name string, s []float64, format func(float64) string) {
			last, top := lastAndMax(s)
			fmt.Fprintf(Stdout, "  %-4s %s  now %s, max %s\n", name, monit.Sparkline(s, step, 0, 0), format(last), format(top))
		}
		line("cpu", cpu, func(v float64) string { return fmt.Sprintf("%.1f%%", v) })
		line("rss", rss, func(v float64) string { return bytesHuman(uint64(v)) })
		line("fds", fds, func(v float64) string { return fmt.Sprintf("%.0f", v) })
		fmt.Fprintf(Stdout, "  measured %d of %d seconds (a gap is a time it was not running)\n", measured, n)
	}
}

// lastAndMax returns the newest measured value and the highest.
func lastAndMax(s []float64) (last, top float64) {
	last = -1
	for _, v := range s {
		if v >= 0 {
			last = v
			top = max(top, v)
		}
	}
	return max(last, 0), top
}
