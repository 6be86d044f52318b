package supervisor

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tend-pm/tend/internal/cgroup"
	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/ipc"
	"github.com/tend-pm/tend/internal/logs"
	"github.com/tend-pm/tend/internal/proc"
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
)

type command struct {
	kind      cmdKind
	probation chan error // cmdStart of a reload's new instance
	app       *spec.App
	sig       syscall.Signal
	why       string
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

	inbox     chan appSignal                // what runs say: IPC, sd_notify, output
	conn      atomic.Pointer[ipc.Conn]      // this run's IPC channel, for tend send
	readyLine atomic.Pointer[regexp.Regexp] // ready_log_line, until it matched

	snap    atomic.Pointer[Snapshot]
	usage   atomic.Pointer[usageSample]
	process atomic.Pointer[proc.Process] // for the sampler; nil when none

	// owned by run:
	app       *spec.App
	state     State
	p         *proc.Process
	started   time.Time
	exitedAt  time.Time
	procDone  <-chan struct{}
	pipesDone <-chan struct{}
	drainC    <-chan time.Time
	readyC    <-chan time.Time
	// readyTimeoutC ends the wait for an explicit ready signal;
	// watchdogC, the wait for the next WATCHDOG=1.
	readyTimeoutC <-chan time.Time
	watchdogC     <-chan time.Time
	retryC        <-chan time.Time
	killC         <-chan time.Time
	pollC         <-chan time.Time
	waiters       []chan error // replied when stopped
	afterStop     []chan error // restart: replied once started again
	quitting      bool
	hist          History
	restarts      int
	lastExit      *spec.ExitInfo
	reason        string
	decision      string
	nextTry       time.Time
	crash         []string
	stopReason    string
	status        string
	readyVia      string
	// failure, when set, is why tend ended the current run (not ready in
	// time, watchdog): the run counts as failed whatever its exit.
	failure    string
	msgWindow  time.Time
	msgCount   int
	msgDropped int
	// probation, handed over by a reload's start command, hears whether
	// this new instance came online (nil) or failed first.
	probation chan error
}

func newInstance(s *Supervisor, app *spec.App, id int) *instance {
	in := &instance{
		sup:   s,
		name:  app.Name,
		id:    id,
		log:   s.log.With("app", app.Name, "instance", id),
		cmds:  make(chan command),
		inbox: make(chan appSignal, 16),
		done:  make(chan struct{}),
		app:   app,
		ring:  logs.NewRing(ringLines),
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
		select {
		case c := <-in.cmds:
			in.handle(c)
		case <-in.procDone:
			in.procDone = nil
			in.onProcDone()
		case <-in.pipesDone:
			in.pipesDone, in.drainC = nil, nil
			in.settle()
		case <-in.drainC:
			in.drainC = nil
			in.log.Warn("output pipes still open after the run ended; a process outside the tree holds them")
			in.pipesDone = nil
			in.settle()
		case <-in.pollC:
			in.pollC = nil
			in.settle()
		case sg := <-in.inbox:
			in.onSignal(sg)
		case <-in.readyC:
			in.becomeReady("min_uptime", fmt.Sprintf("up for %s", in.app.MinUptimeD()))
		case <-in.readyTimeoutC:
			in.readyTimeoutC = nil
			in.failRun(fmt.Sprintf("not ready within %s (ready: %s)", in.app.ReadyTimeout, in.app.Ready))
		case <-in.watchdogC:
			in.watchdogC = nil
			in.failRun(fmt.Sprintf("watchdog: no WATCHDOG=1 for %s", in.app.Watchdog))
		case <-in.retryC:
			in.retryC = nil
			in.restarts++
			in.move(EvTimer, "restart #"+fmt.Sprint(in.restarts), nil)
			in.start()
		case <-in.killC:
			in.killC = nil
			in.note(fmt.Sprintf("kill_timeout %s passed: SIGKILL to the whole tree", in.app.KillTimeout))
			if _, err := in.p.Signal(syscall.SIGKILL); err != nil {
				in.log.Error("kill", "err", err)
			}
		}
		in.publish()
		if in.quitting && in.state == Stopped {
			return
		}
	}
}

func (in *instance) handle(c command) {
	switch c.kind {
	case cmdStart:
		if c.probation != nil {
			in.probation = c.probation
		}
		c.reply <- in.startCmd(c.why)
	case cmdStop, cmdQuit:
		in.quitting = in.quitting || c.kind == cmdQuit
		in.stop(c.why, c.reply)
	case cmdRestart:
		if in.state.Running() {
			in.afterStop = append(in.afterStop, c.reply)
			in.stop(c.why, nil)
			return
		}
		in.forceStop(c.why)
		c.reply <- in.startCmd(c.why)
	case cmdSignal:
		if in.p == nil || in.procDone == nil {
			c.reply <- fmt.Errorf("%s:%d: cannot signal while %s", in.name, in.id, in.state)
			return
		}
		_, err := in.p.Signal(c.sig)
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
		in.move(EvInvalid, c.why, nil)
		c.reply <- nil
	}
}

func (in *instance) startCmd(why string) error {
	if in.state == Waiting {
		in.forceStop(why) // start now rather than after the delay
	}
	if _, err := Next(in.state, EvStart); err != nil {
		return fmt.Errorf("%s:%d: %w", in.name, in.id, err)
	}
	in.hist = History{}
	in.move(EvStart, why, nil)
	in.start()
	return nil
}

// forceStop moves a non-running instance to stopped, dropping its timers.
func (in *instance) forceStop(why string) {
	if in.state != Stopped && !in.state.Running() {
		in.retryC = nil
		in.move(EvStop, why, nil)
	}
}

func (in *instance) stop(why string, reply chan error) {
	switch in.state {
	case Starting, Online:
		in.stopReason = why
		in.move(EvStop, why, nil)
		in.dropRunTimers()
		in.askToStop()
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
	in.killC = time.After(in.app.KillTimeout.D())
	if c := in.conn.Load(); c != nil && in.app.ShutdownWithMessage {
		err := c.Shutdown()
		if err == nil {
			return
		}
		in.note("shutdown message failed (" + err.Error() + "); sending " + in.app.StopSignal)
	}
	sig, _ := spec.ParseSignal(in.app.StopSignal)
	if _, err := in.p.Signal(sig); err != nil {
		in.log.Error("stop signal", "err", err)
	}
}

// failRun ends the current run as failed, for why, whatever its exit:
// the restart policy then applies as to a crash.
func (in *instance) failRun(why string) {
	if in.p == nil || in.procDone == nil || in.failure != "" {
		return
	}
	in.failure = why
	in.dropRunTimers()
	in.note(why + ": stopping the run")
	in.askToStop()
}

// start spawns a new run; the state is already Starting.
func (in *instance) start() {
	app := in.app
	env, err := Environ(app, in.id)
	if err != nil {
		in.failStart(err)
		return
	}
	outR, outW, err1 := os.Pipe()
	errR, errW, err2 := os.Pipe()
	if err1 != nil || err2 != nil {
		in.failStart(fmt.Errorf("pipes: %v %v", err1, err2))
		return
	}
	ps := proc.Spec{Argv: app.Argv(), Dir: app.Cwd, Env: env, Stdout: outW, Stderr: errW}
	ps.Credential, ps.User = credential(app)
	if len(app.Listen) > 0 {
		ps, err = in.sup.withSockets(app, in.id, ps)
	}
	var conn *ipc.Conn
	var childEnd *os.File
	if err == nil {
		conn, childEnd, err = in.openChannel(&ps)
	}
	if err == nil && in.sup.notifyPath != "" {
		ps.Env = setEnv(ps.Env, "NOTIFY_SOCKET", in.sup.notifyPath)
		if app.Watchdog > 0 {
			ps.Env = setEnv(ps.Env, "WATCHDOG_USEC", strconv.FormatInt(app.Watchdog.D().Microseconds(), 10))
		}
	}
	var p *proc.Process
	if err == nil {
		seq := in.sup.runSeq.Add(1)
		ps.Cgroup = in.newCgroup(seq)
		if in.sup.marker != "" {
			ps.Marker = proc.Marker(in.sup.marker, fmt.Sprintf("%s-%d", in.name, in.id), seq)
		}
		p, err = in.sup.spawner.Start(ps)
		if err != nil && ps.Cgroup != nil {
			ps.Cgroup.Remove()
		}
	}
	outW.Close()
	errW.Close()
	if childEnd != nil {
		childEnd.Close()
	}
	if err != nil {
		outR.Close()
		errR.Close()
		if conn != nil {
			conn.Close()
		}
		in.failStart(err)
		return
	}
	logs.GrowPipe(outR)
	logs.GrowPipe(errR)
	in.p, in.started = p, p.Started
	in.sup.register(in, p)
	in.process.Store(p)
	in.procDone = p.Done()
	in.openLogs()
	in.ring.Reset() // the crash tail is this run's
	in.status, in.readyVia, in.failure = "", "", ""
	in.readyLine.Store(compileReadyLine(app))
	if conn != nil {
		in.conn.Store(conn)
		go in.readChannel(p, conn)
	}
	in.pipesDone = in.pump(p, outR, errR)
	in.note(fmt.Sprintf("started pid %d", p.Pid))
	switch d := app.MinUptimeD(); {
	case app.Ready != spec.ReadyAuto && app.Ready != "":
		in.readyTimeoutC = time.After(app.ReadyTimeout.D())
	case d > 0:
		in.readyC = time.After(d)
	default:
		in.becomeReady("min_uptime", "started (min_uptime 0)")
	}
}

// newCgroup makes this run's cgroup, or returns nil to keep the tree by
// process group (no cgroups here, or this one could not be made).
func (in *instance) newCgroup(seq uint64) *cgroup.Group {
	if in.sup.cgroups == nil {
		return nil
	}
	g, err := in.sup.cgroups.New(fmt.Sprintf("%s-%d.%d", in.name, in.id, seq))
	if err != nil {
		in.log.Warn("no cgroup for this run; its tree is followed by process group", "err", err)
		return nil
	}
	return g
}

func (in *instance) failStart(err error) {
	in.log.Warn("start failed", "err", err)
	in.started, in.exitedAt = time.Now(), time.Now()
	in.afterRun(Exit{Code: 127}, "start failed: "+err.Error())
}

func (in *instance) onProcDone() {
	in.exitedAt = time.Now()
	in.dropRunTimers()
	if in.state != Stopping {
		// The main process ended on its own: what it left behind is an
		// orphan now. No orphans (DESIGN §1), so end them.
		if n, _ := in.p.Signal(syscall.SIGKILL); n > 0 {
			in.note(fmt.Sprintf("killed %d leftover processes of the ended run", n))
		}
	}
	if in.pipesDone != nil {
		in.drainC = time.After(drainTimeout)
	}
	in.settle()
}

// settle ends the run once the main process is reaped, its output drained
// and, when stopping, the last process of its tree gone.
func (in *instance) settle() {
	if in.p == nil || in.procDone != nil || in.pipesDone != nil {
		return
	}
	// Stopping, the tree must be gone; a run with a cgroup, in any case
	// (its leftovers were killed, and the group goes once empty).
	if in.state == Stopping || in.p.Group != nil {
		rest, err := in.p.Remaining()
		if err == nil && len(rest) > 0 {
			in.pollC = time.After(pollEvery)
			return
		}
	}
	st := in.p.Status()
	if g := in.p.Group; g != nil {
		if err := g.Remove(); err != nil {
			in.log.Warn("cgroup", "err", err)
		}
	}
	in.sup.unregister(in.p)
	in.p = nil
	in.process.Store(nil)
	if c := in.conn.Swap(nil); c != nil {
		c.Close()
	}
	in.readyLine.Store(nil)
	in.usage.Store(nil)
	in.killC, in.pollC = nil, nil
	in.status = "" // what the app said of itself ended with it
	exit := Exit{Code: st.Code, Signal: st.Signal, Ran: in.exitedAt.Sub(in.started), Failure: in.failure}
	in.lastExit = &spec.ExitInfo{Code: st.Code, Signal: spec.SignalOf(st.Signal), Time: in.exitedAt}
	if in.state == Stopping {
		in.move(EvGone, "stopped: "+exit.String(), &exit)
		in.probationFailed("was stopped before it was ready")
		for _, w := range in.waiters {
			w <- nil
		}
		in.waiters = nil
		if len(in.afterStop) > 0 && !in.quitting {
			err := in.startCmd(in.stopReason)
			for _, w := range in.afterStop {
				w <- err
			}
			in.afterStop = nil
		}
		return
	}
	in.afterRun(exit, exit.String())
}

// afterRun records an unexpected end and applies the restart policy.
func (in *instance) afterRun(exit Exit, why string) {
	clean := exit.Signal == 0 && exit.Code == 0
	if !clean {
		in.crash = excerpt(in.ring.Last(ringLines), crashTail)
	}
	in.move(EvExit, why, &exit)
	if in.probation != nil {
		if exit.Failure != "" {
			in.probationFailed(exit.Failure)
		} else {
			in.probationFailed("ended before it was ready (" + why + ")")
		}
		in.move(EvRest, "a failed new generation is not restarted; the old instance keeps serving", nil)
		return
	}
	now := time.Now()
	d := Decide(in.app, in.hist, exit, now, rand.Float64())
	in.hist = d.History
	in.decision = d.Reason
	switch {
	case d.GiveUp:
		in.move(EvGiveUp, d.Reason, nil)
	case d.Restart:
		in.nextTry = now.Add(d.Delay)
		in.move(EvRestart, d.Reason, nil)
		in.retryC = time.After(d.Delay)
	default:
		in.move(EvRest, d.Reason, nil)
	}
}

// move makes one transition and records it as an event.
func (in *instance) move(ev Event, reason string, exit *Exit) {
	to, err := Next(in.state, ev)
	if err != nil {
		in.log.Error("internal error: illegal transition", "err", err, "reason", reason)
		return
	}
	e := spec.Event{Time: time.Now(), App: in.name, Instance: in.id,
		From: in.state.String(), To: to.String(), Reason: reason}
	if in.p != nil {
		e.Pid = in.p.Pid
	}
	if exit != nil {
		code := exit.Code
		e.ExitCode = &code
		e.Signal = spec.SignalOf(exit.Signal)
		if ev == EvExit && len(in.crash) > 0 {
			e.Stderr = in.crash
		}
	}
	if to != Waiting {
		in.nextTry = time.Time{}
	}
	in.state, in.reason = to, reason
	if to == Online && in.probation != nil {
		in.probation <- nil
		in.probation = nil
	}
	in.publish() // before any reply, so a caller sees the state it waited for
	in.sup.record(e)
	in.log.Debug("transition", "from", e.From, "to", e.To, "reason", reason)
}

// note records an event that is not a state change.
func (in *instance) note(reason string) {
	e := spec.Event{Time: time.Now(), App: in.name, Instance: in.id, Reason: reason}
	if in.p != nil {
		e.Pid = in.p.Pid
	}
	in.sup.record(e)
}

func (in *instance) publish() {
	s := &Snapshot{
		App: in.name, Instance: in.id, State: in.state, Restarts: in.restarts,
		LastExit: in.lastExit, Reason: in.reason, Decision: in.decision,
		NextTry: in.nextTry, Crash: in.crash, Status: in.status, ReadyBy: in.readyVia,
	}
	if in.p != nil {
		s.Pid, s.Started = in.p.Pid, in.started
		s.HeldBy = "process group, /proc and its TEND_RUN marker (no cgroup)"
		if g := in.p.Group; g != nil {
			s.HeldBy = "cgroup " + g.Path
		}
	}
	in.snap.Store(s)
}

// openLogs picks this app's files (the spec may have changed).
func (in *instance) openLogs() {
	outPath, errPath := logs.Paths(in.sup.home, in.app, in.id)
	in.out, in.err = in.sup.writers.Writer(outPath, in.app, in.id), in.sup.writers.Writer(errPath, in.app, in.id)
	in.writers.Store(&[2]*logs.Writer{in.out, in.err})
}
