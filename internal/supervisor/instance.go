package supervisor

import (
	"cmp"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/logs"
	"github.com/tend-pm/tend/internal/metrics"
	"github.com/tend-pm/tend/internal/spec"
)

// Bounds of the owner's waits.
const (
	// drainTimeout bounds the wait for a dead run's pipes to reach EOF (a
	// process we could not find may still hold them).
	drainTimeout = time.Second
	// pollEvery is how often a stopping tree is checked for survivors
	// once its main process is gone.
	pollEvery = 20 * time.Millisecond
	// crashTail is how many stderr lines a crash event carries, of the
	// ringLines kept.
	crashTail = 20
	ringLines = 200
)

// Snapshot is an instance as readers see it; the owner publishes a new one
// after every change.
type Snapshot struct {
	App      string
	Instance int
	State    State
	Pid      int
	Started  time.Time // start of the current run
	Restarts int
	LastExit *spec.ExitInfo
	Reason   string    // why it is in State
	Decision string    // the last restart decision in words
	NextTry  time.Time // set while waiting
	Crash    []string  // stderr tail of the last crash
	LostLogs int64
	Status   string // the app's own words (IPC status, sd_notify STATUS=)
	ReadyBy  string // what made this run online: ipc, notify, log or min_uptime
	HeldBy   string // what holds the run's tree (a cgroup, or the process group)
	Probes   []spec.ProbeStatus
	NextCron time.Time // cron_restart's next time, for a running instance
	// WaitingFor, while it is held waiting, is what for: "waiting for db
	// (ready)".
	WaitingFor string
	// RestartsBy counts Restarts by reason (exit, health, watchdog,
	// not_ready, oom, cron, memory, watch).
	RestartsBy map[string]int
	// NotReady is set on an online instance failing its readiness probe.
	NotReady bool
	// Rested is set when the restart policy left it stopped (a clean
	// exit with autorestart on-failure, or never): stopped on purpose
	// while meant to run, so the reconciler leaves it be.
	Rested bool
}

type cmdKind uint8

const (
	cmdStart cmdKind = iota
	cmdStop
	cmdRestart
	cmdSignal
	cmdUpdate
	cmdQuit
	cmdNote    // record why as an event of this instance
	cmdInvalid // its spec does not validate: errored, for why
	cmdRelease // what its dependencies have reached changed
)

type command struct {
	kind      cmdKind
	probation chan error // cmdStart of a reload's new instance
	app       *spec.App
	sig       syscall.Signal
	why       string
	due       time.Time // cmdStart, cmdRestart of a job: the time of the schedule the run is for
	runWhy    string    // and why it runs, when not at its time (run now, catch-up), for its history
	reply     chan error
}

// instance is one running copy of an app. Its fields below the line are
// owned by the run goroutine; others talk to it through cmds and read snap.
type instance struct {
	sup  *Supervisor
	name string
	id   int
	log  *slog.Logger
	cmds chan command
	done chan struct{} // closed when run returns

	out, err *logs.Writer // this run's files; replaced at each start
	ring     *logs.Ring
	// writers are out and err for readers other than the owner.
	writers atomic.Pointer[[2]*logs.Writer]

	inbox chan appSignal // what runs say: IPC, sd_notify, output
	// live is the current run for readers other than the owner (the
	// sampler, tend send); nil between runs.
	live atomic.Pointer[run]

	snap  atomic.Pointer[Snapshot]
	usage atomic.Pointer[usageSample]
	// series is the instance's last hour of usage, a sample a second.
	series *metrics.Series
	// lines counts the output lines read (stdout, stderr), ipcIn the
	// messages the app sent on its channel, ipcOut those tend send
	// delivered to it; over all its runs.
	lines         [2]atomic.Int64
	ipcIn, ipcOut atomic.Int64

	// owned by run:
	app        *spec.App
	state      State
	r          *run             // the current run; nil between runs
	retryC     <-chan time.Time // the restart delay passed
	waiters    []chan error     // replied when stopped
	afterStop  []chan error     // restart: replied once started again
	again      bool             // start again once stopped (a trigger's restart)
	waitingFor string           // set while held for dependencies
	nextDue    time.Time        // a job's next run is for this time of its schedule
	nextWhy    string           // and this is why, when it is not its time
	stopResult string           // a job's run stopped by a command: how its history says it ended
	quitting   bool
	rested     bool // the last move was the policy's rest
	hist       History
	restarts   int
	restartsBy map[string]int // restarts by reason (trigger.go's causes, cron, memory, watch); replaced, never changed
	lastCause  string         // why the last run ended, for the restart that follows
	lastExit   *spec.ExitInfo
	reason     string
	decision   string
	nextTry    time.Time
	crash      []string
	stopReason string
	msgWindow  time.Time
	msgCount   int
	msgDropped int
	// probation, handed over by a reload's start command, hears whether
	// this new instance came online (nil) or ended first (why).
	probation chan error
}

func newInstance(s *Supervisor, app *spec.App, id int) *instance {
	in := &instance{
		sup:    s,
		name:   app.Name,
		id:     id,
		log:    s.log.With("app", app.Name, "instance", id),
		cmds:   make(chan command),
		inbox:  make(chan appSignal, 16),
		series: new(metrics.Series),
		done:   make(chan struct{}),
		app:    app,
		ring:   logs.NewRing(ringLines),
	}
	in.openLogs()
	in.publish()
	go in.run()
	return in
}

// send delivers c to the owner and waits for its reply.
func (in *instance) send(c command) error {
	c.reply = make(chan error, 1)
	select {
	case in.cmds <- c:
	case <-in.done:
		return fmt.Errorf("%s:%d: %w", in.name, in.id, ErrGone)
	}
	select {
	case err := <-c.reply:
		return err
	case <-in.done:
		return nil
	}
}

func (in *instance) run() {
	defer crash.Guard(in.log, "instance")
	defer close(in.done)
	for {
		r := in.r
		if r == nil {
			r = &noRun
		}
		select {
		case c := <-in.cmds:
			in.handle(c)
		case <-r.procDone:
			r.procDone = nil
			in.onProcDone()
		case <-r.pipesDone:
			r.pipesDone, r.drainC = nil, nil
			in.settle()
		case <-r.drainC:
			r.drainC = nil
			in.log.Warn("output pipes still open after the run ended; a process outside the tree holds them")
			r.pipesDone = nil
			in.settle()
		case <-r.pollC:
			r.pollC = nil
			in.settle()
		case <-r.chanC:
			r.chanC, r.chanWaitC = nil, nil
			in.settle()
		case <-r.chanWaitC:
			// Held open past the run (by a process outside its tree):
			// what it still holds is not waited for.
			r.chanC, r.chanWaitC, r.chanRead = nil, nil, nil
			in.settle()
		case sg := <-in.inbox:
			in.onSignal(sg)
		case <-r.readyC:
			in.becomeReady("min_uptime", fmt.Sprintf("up for %s", in.app.MinUptimeD()))
		case <-r.readyTimeoutC:
			r.readyTimeoutC = nil
			in.failRun(fmt.Sprintf("not ready within %s (ready: %s)", in.app.ReadyTimeout, in.app.Ready))
		case <-r.deadlineC:
			r.deadlineC = nil
			r.timedOut = true
			in.failRun(fmt.Sprintf("timeout: the run lasted %s", in.app.Timeout))
		case <-r.watchdogC:
			r.watchdogC = nil
			in.failRun(fmt.Sprintf("watchdog: no WATCHDOG=1 for %s", in.app.Watchdog))
		case <-in.retryC:
			in.retryC = nil
			if in.hold() {
				break
			}
			in.countRestart(in.lastCause)
			if in.must(in.move(InTimer, "restart #"+fmt.Sprint(in.restarts), nil)) {
				in.start()
			}
		case <-r.cronC:
			in.onCron(r)
		case path := <-r.watchC:
			in.onWatch(r, "watch: "+path+" changed")
		case <-r.tasksIdle:
			in.tasksDrained(r, false)
		case <-r.tasksC:
			in.tasksDrained(r, true)
		case <-r.killC:
			r.killC = nil
			in.note(fmt.Sprintf("kill_timeout %s passed: SIGKILL to the whole tree", in.app.KillTimeout))
			if _, err := r.p.Signal(syscall.SIGKILL); err != nil {
				in.log.Error("kill", "err", err)
			}
		}
		in.publish()
		if in.quitting && in.state == Stopped {
			return
		}
	}
}

// must reports whether a move the owner made on its own (a timer, an
// exit) was legal. An illegal one is a bug in tend: it is logged, and the
// step that depended on it is not taken, so the instance stays in a state
// it was in rather than one the table does not allow.
func (in *instance) must(err error) bool {
	if err != nil {
		in.log.Error("internal error: illegal transition", "err", err)
		return false
	}
	return true
}

func (in *instance) handle(c command) {
	switch c.kind {
	case cmdStart:
		if c.probation != nil {
			in.probation = c.probation
		}
		in.nextDue, in.nextWhy = c.due, c.runWhy
		c.reply <- in.startCmd(c.why)
	case cmdStop, cmdQuit:
		in.stopResult = spec.RunStopped
		in.quitting = in.quitting || c.kind == cmdQuit
		in.again = false // a stop asked for wins over a trigger's restart
		in.stop(c.why, c.reply)
	case cmdRestart:
		in.nextDue, in.nextWhy, in.stopResult = c.due, c.runWhy, spec.RunStopped
		if !c.due.IsZero() {
			in.stopResult = spec.RunReplaced
		}
		if in.state.Running() {
			in.afterStop = append(in.afterStop, c.reply)
			in.stop(c.why, nil)
			return
		}
		in.forceStop(c.why)
		c.reply <- in.startCmd(c.why)
	case cmdSignal:
		if !in.r.alive() {
			c.reply <- fmt.Errorf("%s:%d: cannot signal while %s", in.name, in.id, in.state)
			return
		}
		_, err := in.r.p.Signal(c.sig)
		if err == nil {
			in.note("sent " + spec.SignalName(c.sig))
		}
		c.reply <- err
	case cmdUpdate:
		in.app = c.app
		c.reply <- nil
	case cmdNote:
		in.note(c.why)
		c.reply <- nil
	case cmdInvalid:
		c.reply <- in.move(InInvalid, c.why, nil)
	case cmdRelease:
		in.release()
		c.reply <- nil
	}
}

// hold moves the instance to waiting, held, when its dependencies have
// not met their conditions, and reports whether it did. A reload's new
// instance is never held: the old generation's dependencies were met.
func (in *instance) hold() bool {
	if in.probation != nil {
		return false
	}
	why := in.sup.blocked(in.app)
	if why == "" {
		return false
	}
	if why != in.waitingFor || in.state != Waiting {
		in.waitingFor = why
		in.must(in.move(InHold, why, nil))
	}
	return true
}

// release starts a held instance whose dependencies are met now, or
// records what it waits for if that changed. It looks again itself: the
// loop that asked may have seen an older state.
func (in *instance) release() {
	if in.state != Waiting || in.waitingFor == "" {
		return
	}
	if in.hold() {
		return
	}
	met := make([]string, 0, len(in.app.DependsOn))
	for _, d := range in.app.Dependencies() {
		met = append(met, d.String())
	}
	if in.must(in.move(InRelease, "dependencies met: "+strings.Join(met, ", "), nil)) {
		in.start()
	}
}

func (in *instance) startCmd(why string) error {
	if in.state == Waiting {
		in.forceStop(why) // start now rather than after the delay
	}
	if in.state != Stopped && in.state != Errored {
		return fmt.Errorf("%s:%d: %w", in.name, in.id, &TransitionError{From: in.state, Input: InStart})
	}
	in.hist = History{}
	if in.hold() {
		return nil
	}
	if err := in.move(InStart, why, nil); err != nil {
		return fmt.Errorf("%s:%d: %w", in.name, in.id, err)
	}
	in.start()
	return nil
}

// forceStop moves a non-running instance to stopped, dropping its timers.
func (in *instance) forceStop(why string) {
	if in.state != Stopped && !in.state.Running() {
		in.retryC = nil
		in.must(in.move(InStop, why, nil))
	}
}

func (in *instance) stop(why string, reply chan error) {
	switch in.state {
	case Starting, Online:
		in.stopReason = why
		if !in.must(in.move(InStop, why, nil)) {
			break
		}
		in.r.dropTimers()
		if !in.drainTasks(in.r) {
			in.askToStop()
		}
		// The main process may already be gone (a tree still draining).
		in.settle()
	case Stopping:
	default:
		in.forceStop(why)
	}
	if reply == nil {
		return
	}
	if in.state == Stopped {
		reply <- nil
		return
	}
	in.waiters = append(in.waiters, reply)
}

// askToStop sends the stop message or signal and arms the SIGKILL.
func (in *instance) askToStop() {
	r := in.r
	r.tasksIdle, r.tasksC = nil, nil
	if r.worker != nil {
		r.pool.Drain(r.worker) // no new task for a run that stops
	}
	r.stopWatches() // a stopping run is not probed: its failures mean nothing
	r.killC = time.After(in.app.KillTimeout.D())
	if r.conn != nil && in.app.ShutdownWithMessage {
		err := r.conn.Shutdown()
		if err == nil {
			return
		}
		in.note("shutdown message failed (" + err.Error() + "); sending " + in.app.StopSignal)
	}
	sig, _ := spec.ParseSignal(in.app.StopSignal)
	if _, err := r.p.Signal(sig); err != nil {
		in.log.Error("stop signal", "err", err)
	}
}

// failRun ends the current run as failed, for why, whatever its exit:
// the restart policy then applies as to a crash.
func (in *instance) failRun(why string) {
	r := in.r
	if !r.alive() || r.failure != "" {
		return
	}
	r.failure = why
	r.dropTimers()
	in.note(why + ": stopping the run")
	in.askToStop()
}

// start spawns a new run; the state is already Starting.
func (in *instance) start() {
	app := in.app
	r, err := in.spawn(app)
	if err != nil {
		in.log.Warn("start failed", "err", err)
		in.afterRun(Exit{Code: 127}, "start failed: "+err.Error())
		return
	}
	in.r = r
	r.due, r.runWhy, in.nextDue, in.nextWhy = in.nextDue, in.nextWhy, time.Time{}, ""
	if app.IsJob() && app.Timeout > 0 {
		r.deadlineC = time.After(app.Timeout.D())
	}
	in.live.Store(r)
	in.openLogs()
	in.ring.Reset() // the crash tail is this run's
	r.pipesDone = in.pump(r)
	in.note(fmt.Sprintf("started pid %d", r.p.Pid))
	if app.CronRestart != "" {
		in.armCron(r, time.Now())
	}
	switch d := app.MinUptimeD(); {
	case app.Ready != spec.ReadyAuto && app.Ready != "":
		if in.probation == nil {
			// A reload's new instance has its deadline kept by the reload.
			r.readyTimeoutC = time.After(app.ReadyTimeout.D())
		}
	case d > 0:
		r.readyC = time.After(d)
	default:
		in.becomeReady("min_uptime", "started (min_uptime 0)")
	}
}

func (in *instance) onProcDone() {
	r := in.r
	r.exitedAt = time.Now()
	r.dropTimers()
	if in.state != Stopping {
		// The main process ended on its own: what it left behind is an
		// orphan now. No orphans (DESIGN §1), so end them.
		if n, _ := r.p.Signal(syscall.SIGKILL); n > 0 {
			in.note(fmt.Sprintf("killed %d leftover processes of the ended run", n))
		}
	}
	if r.pipesDone != nil {
		r.drainC = time.After(drainTimeout)
	}
	in.settle()
}

// answersWait bounds how long an ended run of a pool's worker waits for
// its channel to be read to the end: a linger (20 ms at most), and the
// reading of what came.
const answersWait = 100 * time.Millisecond

// answersRead reports whether the channel of a pool's worker has been
// read to its end, and if not has the owner wait for it, within
// answersWait. A busy worker's reader looks later (pool.Worker.Linger),
// so a worker that dies leaves answers it wrote in its channel: read,
// they end their tasks; left, Leave would run those tasks again, and
// one could fail of a crash it never saw.
func (in *instance) answersRead(r *run) bool {
	if r.worker == nil || r.chanRead == nil {
		return true
	}
	select {
	case <-r.chanRead:
		return true
	default:
	}
	if r.chanWaitC == nil {
		r.chanWaitC = time.After(answersWait)
	}
	r.chanC = r.chanRead
	return false
}

// settle ends the run once the main process is reaped, its output drained
// and, when stopping, the last process of its tree gone.
func (in *instance) settle() {
	r := in.r
	if r == nil || r.procDone != nil || r.pipesDone != nil {
		return
	}
	// Stopping, the tree must be gone; a run with a cgroup, in any case
	// (its leftovers were killed, and the group goes once empty).
	if in.state == Stopping || r.p.Group != nil {
		rest, err := r.p.Remaining()
		if err == nil && len(rest) > 0 {
			r.pollC = time.After(pollEvery)
			return
		}
	}
	if !in.answersRead(r) {
		return
	}
	// Read before release removes the groups.
	if r.limits != nil && r.failure == "" && r.limits.OOMKills() > 0 {
		r.failure = oomReason(in.app)
	}
	in.endUsage(r)
	st := r.release()
	in.live.Store(nil)
	if st.Lost {
		// Another waiter in the daemon took its exit status (proc's sweep).
		r.failure = fmt.Sprintf("lost: pid %d ended and tend's reaper did not see how", r.p.Pid)
		in.note(r.failure + "; the run counts as failed")
	}
	exit := Exit{Code: st.Code, Signal: st.Signal, Ran: r.exitedAt.Sub(r.started), Failure: r.failure}
	in.lastExit = &spec.ExitInfo{Code: st.Code, Signal: spec.SignalOf(st.Signal), Time: r.exitedAt}
	if r.worker != nil {
		r.pool.Leave(r.worker, "exited ("+exitWords(in.lastExit)+")")
	}
	if in.state != Stopping {
		in.afterRun(exit, exit.String())
		return
	}
	in.endJobRun(r, exit, cmp.Or(in.stopResult, spec.RunStopped))
	in.must(in.move(InGone, "stopped: "+exit.String(), &exit))
	in.probationFailed("was stopped before it was ready")
	for _, w := range in.waiters {
		w <- nil
	}
	in.waiters = nil
	if (len(in.afterStop) > 0 || in.again) && !in.quitting {
		err := in.startCmd(in.stopReason)
		for _, w := range in.afterStop {
			w <- err
		}
		in.afterStop = nil
	}
	in.again = false // done, or a quit ended the trigger's restart
}

// afterRun records an unexpected end (of a run, released by now, or of a
// start that failed) and applies the restart policy.
func (in *instance) afterRun(exit Exit, why string) {
	clean := exit.Signal == 0 && exit.Code == 0
	if !clean {
		in.crash = excerpt(in.ring.Last(ringLines), crashTail)
	}
	in.endJobRun(in.r, exit, "")
	if !in.must(in.move(InExit, why, &exit)) {
		return
	}
	in.r = nil
	if in.probation != nil {
		if exit.Failure != "" {
			in.probationFailed(exit.Failure)
		} else {
			in.probationFailed("ended before it was ready (" + why + ")")
		}
		in.must(in.move(InRest, "a failed new generation is not restarted; the old instance keeps serving", nil))
		return
	}
	in.lastCause = causeOf(exit)
	now := time.Now()
	d := Decide(in.app, in.hist, exit, now, rand.Float64())
	in.hist = d.History
	in.decision = d.Reason
	switch {
	case d.GiveUp:
		in.must(in.move(InGiveUp, d.Reason, nil))
	case d.Restart:
		in.nextTry = now.Add(d.Delay)
		if in.must(in.move(InRestart, d.Reason, nil)) {
			in.retryC = time.After(d.Delay)
		}
	default:
		in.must(in.move(InRest, d.Reason, nil))
	}
}

// move makes one transition and records it as an event, or returns the
// *TransitionError of a move the table does not allow, changing nothing.
func (in *instance) move(ev Input, reason string, exit *Exit) error {
	to, err := Next(in.state, ev)
	if err != nil {
		return err
	}
	e := spec.Event{Time: time.Now(), App: in.name, Instance: in.id,
		From: in.state.String(), To: to.String(), Reason: reason}
	if in.r != nil {
		e.Pid = in.r.p.Pid
	}
	if exit != nil {
		code := exit.Code
		e.ExitCode = &code
		e.Signal = spec.SignalOf(exit.Signal)
		if ev == InExit && len(in.crash) > 0 {
			e.Stderr = in.crash
		}
	}
	if to != Waiting {
		in.nextTry, in.waitingFor = time.Time{}, ""
	}
	in.state, in.reason, in.rested = to, reason, ev == InRest
	if to == Online && in.probation != nil {
		in.probation <- nil
		in.probation = nil
	}
	if to == Stopped {
		in.r = nil // a stopped instance has no run
	}
	if to == Online && in.r != nil && in.r.worker != nil {
		in.r.pool.Join(in.r.worker) // a task goes only to an online worker
	}
	in.publish() // before any reply, so a caller sees the state it waited for
	in.sup.record(e)
	in.sup.nudge()
	in.log.Debug("transition", "from", e.From, "to", e.To, "reason", reason)
	return nil
}

// note records an event that is not a state change.
func (in *instance) note(reason string) {
	e := spec.Event{Time: time.Now(), App: in.name, Instance: in.id, Reason: reason}
	if in.r != nil {
		e.Pid = in.r.p.Pid
	}
	in.sup.record(e)
}

func (in *instance) publish() {
	s := &Snapshot{
		App: in.name, Instance: in.id, State: in.state, Restarts: in.restarts,
		LastExit: in.lastExit, Reason: in.reason, Decision: in.decision,
		NextTry: in.nextTry, Crash: in.crash, Rested: in.rested && in.state == Stopped,
		WaitingFor: in.waitingFor, RestartsBy: in.restartsBy,
	}
	if r := in.r; r != nil {
		s.Pid, s.Started = r.p.Pid, r.started
		s.Status, s.ReadyBy = r.status, r.readyVia
		s.Probes = r.probeStatus()
		if r.cronC != nil {
			s.NextCron = r.cronNext
		}
		s.NotReady = in.state == Online && !r.readinessHolds()
		s.HeldBy = "process group, /proc and its TEND_RUN marker (no cgroup)"
		if g := r.p.Group; g != nil {
			s.HeldBy = "cgroup " + g.Path
		}
	}
	if old := in.snap.Swap(s); old == nil || old.State != s.State || old.NotReady != s.NotReady {
		in.sup.depsChanged() // a dependent may wait for this change
		if r := in.r; r != nil && r.worker != nil {
			r.pool.Pause(r.worker, s.NotReady) // no new task for an instance that is not ready
		}
	}
}

// openLogs picks this app's files (the spec may have changed).
func (in *instance) openLogs() {
	outPath, errPath := logs.Paths(in.sup.home, in.app, in.id)
	in.out, in.err = in.sup.writers.Writer(outPath, in.app, in.id), in.sup.writers.Writer(errPath, in.app, in.id)
	in.writers.Store(&[2]*logs.Writer{in.out, in.err})
}
