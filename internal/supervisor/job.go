package supervisor

import (
	"cmp"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/spec"
)

// A job (an app with schedule:) is not kept up: the job loop starts it
// at each time of its schedule, through the same start command as any
// instance (so depends_on, limits and logs hold), and each run's end is
// recorded in the job's history, kept in the store with the last time
// the loop dealt with, so that a restarted daemon knows what it missed.

// jobBook is every job's schedule and history; guarded by mu. Only the
// job loop writes the store.
type jobBook struct {
	mu     sync.Mutex
	jobs   map[string]*job
	stored map[string]spec.JobState // read at Restore, taken on first sight
	dirty  map[string]bool
}

type job struct {
	expr string // schedule and zone it was parsed from
	cron *spec.Cron
	next time.Time
	st   spec.JobState
	// catchUp marks next as a time missed while the daemon was down.
	catchUp bool
}

// jobChanged wakes the job loop; it never blocks.
func (s *Supervisor) jobChanged() {
	select {
	case s.jobC <- struct{}{}:
	default:
	}
}

// jobLoop starts jobs at their times until Shutdown begins.
func (s *Supervisor) jobLoop() {
	defer s.wg.Done()
	defer crash.Guard(s.log, "jobs")
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		s.fireDue(now)
		s.saveJobs()
		next := s.planJobs(now)
		wait := time.Hour // a pass now and then, in case the clock jumped
		if !next.IsZero() {
			wait = min(wait, max(0, time.Until(next)))
		}
		timer.Reset(wait)
		select {
		case <-s.closing:
			s.saveJobs()
			return
		case <-s.jobC:
		case <-timer.C:
		}
	}
}

// planJobs brings the book in line with the apps (new jobs, changed
// schedules, deleted ones) and returns the earliest next time.
func (s *Supervisor) planJobs(now time.Time) time.Time {
	type seen struct {
		expr string
		app  *spec.App
	}
	s.mu.Lock()
	apps := map[string]seen{}
	for n, a := range s.apps {
		if a.invalid == "" && a.rec.App.IsJob() {
			apps[n] = seen{a.rec.App.Schedule + "\x00" + a.rec.App.CronTimezone, a.rec.App}
		}
	}
	s.mu.Unlock()
	b := &s.jobs
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.jobs == nil {
		b.jobs = map[string]*job{}
	}
	for n := range b.jobs {
		if _, ok := apps[n]; !ok {
			delete(b.jobs, n)
		}
	}
	var earliest time.Time
	for n, a := range apps {
		j := b.jobs[n]
		if j == nil || j.expr != a.expr {
			c, err := spec.ParseCron(a.app.Schedule, a.app.CronTimezone)
			if err != nil {
				continue // validated on the way in; a bad stored one is shown errored
			}
			nj := &job{expr: a.expr, cron: c}
			switch {
			case j != nil:
				nj.st = j.st // a new schedule keeps the history
			default:
				nj.st = b.stored[n]
				delete(b.stored, n)
			}
			nj.next = c.Next(now)
			if due, missed := spec.Missed(c, nj.st.LastDue, now); missed && j == nil {
				if a.app.CatchUp {
					nj.next, nj.catchUp = due, true // run once, now
				} else {
					nj.st.Record(spec.JobRun{Due: due, Start: now, Result: spec.RunSkipped,
						Reason: fmt.Sprintf("missed the run due at %s (and any after it) while the daemon was down; catch_up is off", due.Format(time.DateTime))})
					nj.st.LastDue = now
					b.markDirty(n)
				}
			}
			if nj.st.LastDue.IsZero() {
				nj.st.LastDue = now // what is missed from here on counts
				b.markDirty(n)
			}
			b.jobs[n] = nj
			j = nj
		}
		if earliest.IsZero() || j.next.Before(earliest) {
			earliest = j.next
		}
	}
	return earliest
}

func (b *jobBook) markDirty(name string) {
	if b.dirty == nil {
		b.dirty = map[string]bool{}
	}
	b.dirty[name] = true
}

// fireDue starts the run of every job whose time has come.
func (s *Supervisor) fireDue(now time.Time) {
	b := &s.jobs
	b.mu.Lock()
	type fire struct {
		name    string
		due     time.Time
		catchUp bool
	}
	var due []fire
	for n, j := range b.jobs {
		if j.next.IsZero() || j.next.After(now) {
			continue
		}
		due = append(due, fire{n, j.next, j.catchUp})
		j.catchUp = false
		j.st.LastDue = j.next
		// After a long sleep (a suspended machine) one run stands for
		// every time passed.
		j.next = j.cron.Next(now)
		b.markDirty(n)
	}
	b.mu.Unlock()
	for _, f := range due {
		s.wg.Go(func() {
			defer crash.Guard(s.log, "job run")
			s.runJob(f.name, f.due, f.catchUp)
		})
	}
}

// runJob carries out one time of a job's schedule, under the app's op
// lock, as a command would.
func (s *Supervisor) runJob(name string, due time.Time, catchUp bool) {
	defer s.ops.lock([]string{name})()
	select {
	case <-s.closing:
		return
	default:
	}
	s.mu.Lock()
	a := s.apps[name]
	if a == nil || a.invalid != "" || !a.rec.App.IsJob() {
		s.mu.Unlock()
		return
	}
	rec, ins := a.rec, a.instances
	s.mu.Unlock()
	snaps := make([]*Snapshot, len(ins))
	for i, in := range ins {
		snaps[i] = in.snap.Load()
	}
	act := decideRun(rec, snaps)
	switch act.kind {
	case runNone:
		return
	case runSkip:
		why := "skipped the run due " + due.Format(time.DateTime) + ": " + act.why
		s.recordRun(name, spec.JobRun{Instance: act.slot, Due: due, Start: time.Now(), Result: spec.RunSkipped, Reason: why})
		ins[act.slot].send(command{kind: cmdNote, why: why})
		return
	}
	c := command{kind: cmdStart, due: due, why: "scheduled run (due " + due.Format(time.DateTime) + ")"}
	if catchUp {
		c.why = "catch-up run for the time due " + due.Format(time.DateTime) + ", missed while the daemon was down"
		c.runWhy = c.why
	}
	if act.kind == runReplace {
		c = command{kind: cmdRestart, due: due, why: "replaced by the run due " + due.Format(time.DateTime)}
	}
	if err := ins[act.slot].send(c); err != nil {
		s.log.Warn("job run", "app", name, "err", err)
	}
}

type runKind uint8

const (
	runNone    runKind = iota // the job is stopped: its schedule is paused
	runStart                  // start slot
	runReplace                // stop slot's run and start a new one
	runSkip                   // record a skipped run, for why
)

type runAction struct {
	kind runKind
	slot int
	why  string
}

// decideRun is what a time of the schedule does, given the job's record
// and its instances: a pure function, table-tested.
func decideRun(rec spec.Record, snaps []*Snapshot) runAction {
	var free, busy []int
	for i, sn := range snaps {
		if !rec.Wants(sn.Instance) {
			continue
		}
		if sn.State.Running() || sn.State == Waiting {
			busy = append(busy, i)
		} else {
			free = append(free, i)
		}
	}
	if len(free)+len(busy) == 0 {
		return runAction{kind: runNone}
	}
	switch rec.App.Concurrency {
	case spec.ConcurrencyAllow:
		if len(free) > 0 {
			return runAction{kind: runStart, slot: free[0]}
		}
		return runAction{kind: runSkip, slot: busy[0], why: fmt.Sprintf(
			"all %d of its runs at once (instances: %d) are still going (concurrency: allow)", len(busy), len(busy))}
	case spec.ConcurrencyReplace:
		if len(busy) > 0 {
			return runAction{kind: runReplace, slot: busy[0]}
		}
	default: // forbid
		if len(busy) > 0 {
			sn := snaps[busy[0]]
			going := "the run started " + sn.Started.Format(time.DateTime) + " is still going"
			if sn.State == Waiting {
				going = "the last run is still " + cmp.Or(sn.WaitingFor, "waiting to restart")
			}
			return runAction{kind: runSkip, slot: busy[0], why: going + " (concurrency: forbid)"}
		}
	}
	return runAction{kind: runStart, slot: free[0]}
}

// recordRun adds run to the history of job name, to be stored by the loop.
func (s *Supervisor) recordRun(name string, run spec.JobRun) {
	b := &s.jobs
	b.mu.Lock()
	if j := b.jobs[name]; j != nil {
		j.st.Record(run)
		b.markDirty(name)
	}
	b.mu.Unlock()
	s.jobChanged()
}

// saveJobs writes the jobs that changed, outside the book's lock.
func (s *Supervisor) saveJobs() {
	b := &s.jobs
	b.mu.Lock()
	out := map[string]spec.JobState{}
	for n := range b.dirty {
		if j := b.jobs[n]; j != nil {
			st := j.st
			st.Runs = append([]spec.JobRun(nil), j.st.Runs...)
			out[n] = st
		}
	}
	b.dirty = nil
	b.mu.Unlock()
	for n, st := range out {
		if err := s.store.PutJob(n, st); err != nil {
			s.log.Error("store a job's history", "app", n, "err", err)
		}
	}
}

// JobInfo is a job's history and next time, for ls and show.
type JobInfo struct {
	Next time.Time
	Runs []spec.JobRun
}

// Job returns the history and next time of job name, if it is one.
func (s *Supervisor) Job(name string) (JobInfo, bool) {
	b := &s.jobs
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.jobs[name]
	if j == nil {
		return JobInfo{}, false
	}
	return JobInfo{Next: j.next, Runs: append([]spec.JobRun(nil), j.st.Runs...)}, true
}

// endJobRun records how the run r of a job ended: by itself with exit
// (stopped ""), or stopped with the result stopped (timeout, replaced or
// stopped).
func (in *instance) endJobRun(r *run, exit Exit, stopped string) {
	if !in.app.IsJob() {
		return
	}
	now := time.Now()
	jr := spec.JobRun{Instance: in.id, Start: now, Result: spec.RunOK}
	if r != nil {
		jr.Due, jr.Start, jr.Reason = r.due, r.started, r.runWhy
		jr.DurationMS = r.exitedAt.Sub(r.started).Milliseconds()
	}
	code := exit.Code
	jr.ExitCode = &code
	if exit.Signal != 0 {
		jr.ExitCode, jr.Signal = nil, spec.SignalOf(exit.Signal)
	}
	switch {
	case r != nil && r.timedOut:
		jr.Result, jr.Reason = spec.RunTimeout, fmt.Sprintf("stopped at its timeout, %s", in.app.Timeout)
	case stopped != "":
		jr.Result, jr.Reason = stopped, in.stopReason
	case exit.Failure != "":
		jr.Result = spec.RunFailed
		jr.Reason = strings.TrimPrefix(jr.Reason+"; "+exit.Failure, "; ")
	case exit.Signal != 0 || exit.Code != 0:
		jr.Result = spec.RunFailed
	}
	if jr.Result != spec.RunOK && jr.Result != spec.RunStopped {
		jr.Stderr = excerpt(in.ring.Last(ringLines), crashTail)
	}
	in.sup.recordRun(in.name, jr)
}
