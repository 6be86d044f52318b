package supervisor

import (
	"cmp"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tend-pm/tend/internal/cgroup"
	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/ptable"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/watch"
)

// Restart triggers (DESIGN §8): memory, schedule and file changes restart
// an instance on purpose. Such a restart goes through the normal stop
// (stop_signal, kill_timeout, SIGKILL) and start, counts as a restart,
// and is not a crash: it feeds neither the backoff nor max_restarts.

const (
	// memoryEvery is how often the tree of an app with max_memory_restart
	// is measured; memoryOver samples in a row over the limit restart it.
	memoryEvery = time.Second
	memoryOver  = 2
)

// cronHop bounds one wait for cron_restart's next time: the wait is on
// the monotonic clock, so a long one would drift from the wall clock the
// schedule is written in (a suspend, a clock set); each hop recomputes.
const cronHop = time.Hour

// armCron sets r's wait for the next time of app's cron_restart after now.
func (in *instance) armCron(r *run, now time.Time) {
	c, err := spec.ParseCron(in.app.CronRestart, in.app.CronTimezone)
	if err != nil || in.app.CronRestart == "" {
		r.cronC, r.cronNext = nil, time.Time{}
		return
	}
	r.cronNext = c.Next(now)
	r.cronC = time.After(min(r.cronNext.Sub(now), cronHop))
}

// onCron is the wait for cron_restart's time ending: the restart when it
// is due, else the next hop.
func (in *instance) onCron(r *run) {
	now := time.Now()
	if now.Before(r.cronNext.Add(-10 * time.Millisecond)) {
		r.cronC = time.After(min(r.cronNext.Sub(now), cronHop))
		return
	}
	r.cronC = nil
	in.triggerRestart("cron", "cron_restart "+in.app.CronRestart)
}

// watchFiles starts following app's watch: paths for r. A tree that
// cannot be watched (gone, over the inotify limit) is said in an event,
// and the run goes on unwatched.
func (in *instance) watchFiles(r *run, app *spec.App) {
	if len(app.Watch) == 0 {
		return
	}
	roots := make([]string, len(app.Watch))
	for i, p := range app.Watch {
		roots[i] = p
		if !filepath.IsAbs(p) {
			roots[i] = filepath.Join(app.Cwd, p)
		}
	}
	// The app's own logs, and tend's home (its log, its store) when it is
	// under the tree, must not restart it at every line.
	ignore := append(slices.Clone(app.IgnoreWatch), in.sup.home)
	for _, f := range []string{app.OutFile, app.ErrorFile} {
		if f != "" {
			ignore = append(ignore, f)
		}
	}
	w, err := watch.New(roots, ignore, cmp.Or(app.WatchDelay.D(), spec.DefaultWatchDelay))
	if err != nil {
		in.note("not watching: " + err.Error())
		in.log.Warn("watch", "err", err)
		return
	}
	r.watcher, r.watchC = w, w.Changes()
}

// onWatch acts on a change under watch:. An instance on tend's sockets
// that is online is reloaded (a new generation first, the old one
// stopped once it is ready), as tend reload would; others restart.
func (in *instance) onWatch(r *run, why string) {
	if len(in.app.Listen) > 0 && in.state == Online && in.probation == nil {
		r.watchC = nil // the new generation watches for itself
		in.note(why + ": reloading")
		go in.sup.triggerReload(in.name, in.id, why)
		return
	}
	in.triggerRestart("watch", why)
}

// triggerRestart restarts a running instance for why (a trigger, not a
// crash). It does nothing to one that is not running.
func (in *instance) triggerRestart(kind, why string) {
	if in.state != Starting && in.state != Online {
		return
	}
	in.countRestart(kind)
	in.decision = why + " → restart (a trigger, not a crash)"
	in.again = true
	in.stop(why, nil)
}

// watchMemory measures r's whole tree every memoryEvery and tells the
// owner, until r's watches stop.
func (in *instance) watchMemory(r *run, stop <-chan struct{}) {
	defer crash.Guard(in.log, "memory watch")
	t := time.NewTicker(memoryEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-in.done:
			return
		case <-t.C:
		}
		rss, ok := treeMemory(r)
		if !ok {
			continue
		}
		oom := 0
		if r.limits != nil {
			oom = r.limits.OOMKills()
		}
		select {
		case in.inbox <- appSignal{r: r, kind: sigMemory, size: rss, pid: oom}:
		case <-stop:
			return
		case <-in.done:
			return
		}
	}
}

// treeMemory is the memory of r's whole tree: its cgroup's where the
// group has the memory controller, else the sum of its processes' RSS.
//
// The sampler measures every tree each second too: its sample of this
// run, when fresh, is taken rather than reading the tree twice.
func treeMemory(r *run) (uint64, bool) {
	if u := r.in.usage.Load(); u != nil && u.r == r && time.Since(u.at) < 2*memoryEvery {
		return u.u.RSS, true
	}
	var tab ptable.Table
	u, err := r.measure(&tab)
	return u.RSS, err == nil
}

// onMemory acts on one sample of the current run's memory and of its
// group's OOM kills. Past memory_max cgroup v2 kills the whole tree
// (memory.oom.group); v1 kills one process, so tend stops the rest, as
// systemd's OOMPolicy=stop does.
func (in *instance) onMemory(r *run, rss uint64, oom int) {
	if oom > r.oomSeen {
		r.oomSeen = oom
		in.failRun(oomReason(in.app))
		return
	}
	limit := uint64(in.app.MaxMemoryRestart)
	if limit == 0 || rss <= limit {
		r.memOver = 0
		return
	}
	if r.memOver++; r.memOver >= memoryOver {
		r.memOver = 0
		in.triggerRestart("memory", fmt.Sprintf("memory %s > max_memory_restart %s", megabytes(rss), megabytes(limit)))
	}
}

// oomReason is why a run the kernel killed for memory ended.
func oomReason(app *spec.App) string {
	return fmt.Sprintf("killed by the kernel: out of memory (memory_max %s)", app.MemoryMax)
}

// megabytes writes a size as PM2 users read it: 342MB (KB below a MB).
func megabytes(b uint64) string {
	if b < 1<<20 {
		return fmt.Sprintf("%dKB", b>>10)
	}
	return fmt.Sprintf("%dMB", (b+1<<19)>>20)
}

// limitsOf is app's kernel-enforced limits.
func limitsOf(app *spec.App) cgroup.Limits {
	cores, _ := app.CPUCores() // checked by Validate
	return cgroup.Limits{MemoryMax: int64(app.MemoryMax), MemoryHigh: int64(app.MemoryHigh), CPUQuota: cores,
		CPUWeight: app.CPUWeight, PidsMax: app.PidsMax}
}

// Restart reasons, as metrics count them: a bounded set, so that a label
// never takes unbounded values.
const (
	causeExit     = "exit"      // the run ended and the policy restarted it
	causeHealth   = "health"    // its liveness probe failed
	causeWatchdog = "watchdog"  // it missed its sd_notify watchdog
	causeNotReady = "not_ready" // it was not ready within ready_timeout
	causeOOM      = "oom"       // the kernel killed it at memory_max
)

// causeOf is the reason a policy restart after exit counts under.
func causeOf(exit Exit) string {
	switch f := exit.Failure; {
	case strings.HasPrefix(f, "health:"):
		return causeHealth
	case strings.HasPrefix(f, "watchdog"):
		return causeWatchdog
	case strings.HasPrefix(f, "not ready"):
		return causeNotReady
	case strings.Contains(f, "memory_max"):
		return causeOOM
	}
	return causeExit
}

// countRestart counts one restart for reason.
func (in *instance) countRestart(reason string) {
	in.restarts++
	// A new map each time: snapshots share it, never see it change, and
	// publish (on every move) copies nothing.
	m := maps.Clone(in.restartsBy)
	if m == nil {
		m = map[string]int{}
	}
	m[reason]++
	in.restartsBy = m
}
