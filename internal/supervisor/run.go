package supervisor

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tend-pm/tend/internal/cgroup"
	"github.com/tend-pm/tend/internal/execshim"
	"github.com/tend-pm/tend/internal/ipc"
	"github.com/tend-pm/tend/internal/listen"
	"github.com/tend-pm/tend/internal/logs"
	"github.com/tend-pm/tend/internal/metrics"
	"github.com/tend-pm/tend/internal/nodepreload"
	"github.com/tend-pm/tend/internal/pool"
	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/watch"
)

// run is one process of an instance and everything that lives exactly as
// long as it: the process and what holds its tree (a cgroup, or its
// process group and TEND_RUN marker), the output pipes and their readers,
// the IPC channel, the pid the notify socket knows it by, and the timers
// of its readiness, watchdog and stop. spawn makes all of it or none,
// unwinding what it made when a step fails (as exec.Cmd.Start does);
// release is the one cleanup, whichever way the run ended.
//
// p, conn, pipes and started are set by spawn and never change; the rest
// belongs to the instance's owner goroutine, except readyLine, which the
// output readers share.
type run struct {
	in   *instance
	p    *proc.Process
	conn *ipc.Conn // nil with ipc: off
	// pool and worker are set when the app has a pool: the run takes
	// tasks while online.
	pool    *pool.Pool
	worker  *pool.Worker
	pipes   [2]*os.File
	started time.Time

	procDone  <-chan struct{} // nil once the main process is reaped
	pipesDone <-chan struct{} // nil once both pipes reached EOF
	exitedAt  time.Time

	drainC        <-chan time.Time // bounds the wait for pipesDone
	readyC        <-chan time.Time // min_uptime passed
	readyTimeoutC <-chan time.Time // ready_timeout passed without a ready signal
	watchdogC     <-chan time.Time // the wait for the next WATCHDOG=1
	deadlineC     <-chan time.Time // a job's timeout passed
	due           time.Time        // a job's run: the time of its schedule it is for
	runWhy        string           // and why it ran, when not at its time
	timedOut      bool             // a job's run was stopped at its timeout
	killC         <-chan time.Time // kill_timeout passed while stopping
	tasksIdle     <-chan struct{}  // stopping, its tasks in flight ended
	tasksC        <-chan time.Time // stopping, kill_timeout passed with tasks in flight
	pollC         <-chan time.Time // look again for survivors of the tree
	// chanRead is closed once the channel's reader has returned; a pool's
	// worker's run settles after it (answersRead), waiting on chanC
	// within chanWaitC.
	chanRead  chan struct{}
	chanC     <-chan struct{}
	chanWaitC <-chan time.Time
	cronC     <-chan time.Time // cron_restart's next time (or an hour's hop towards it)
	cronNext  time.Time
	watchC    <-chan string // a burst of changes under watch:
	watcher   *watch.Watcher

	readyLine atomic.Pointer[regexp.Regexp] // ready_log_line, until it matched
	status    string                        // the app's own words (IPC status, STATUS=)
	readyVia  string                        // what made it online
	// probes are the run's health and readiness probes; their goroutines
	// run until watchStop is closed, as the memory watch's does.
	// pendingReady is a readiness signal (ipc, notify, log, min_uptime)
	// that came while the readiness probe had not passed yet: it takes
	// effect when the probe passes. memOver counts memory samples over
	// max_memory_restart in a row.
	memOver int
	// limits are the run's kernel-enforced limits, nil without any;
	// oomSeen is how many OOM kills of its group were acted on.
	limits  *cgroup.Applied
	oomSeen int
	// meter measures the run's tree for the sampler, the memory watch
	// and the run's last account.
	meter metrics.Meter
	// limitApp holds the app's limit keys as this run applied them, for
	// show (the owner's app is not for other goroutines to read).
	limitApp     spec.App
	limitsHow    string
	probes       []*prober
	watchStop    chan struct{}
	pendingReady string
	probeSocks   []*listen.Socket // the run's own sockets its probes are aimed at
	// failure, when set, is why tend ended the run (not ready in time,
	// watchdog): it counts as failed whatever its exit.
	failure string
}

// noRun stands for the run of an instance that has none: its channels are
// nil, so the owner's select never takes them. It is never written.
var noRun run

// spawn starts a run of app for in, or returns an error with nothing left
// behind: no pipe, channel, cgroup or registration.
func (in *instance) spawn(app *spec.App) (r *run, err error) {
	var undo []func()
	defer func() {
		if err != nil {
			for _, u := range slices.Backward(undo) {
				u()
			}
		}
	}()
	env, err := Environ(app, in.id)
	if err != nil {
		return nil, err
	}
	r = &run{in: in}
	// The child's ends are closed once it has them, whatever happens.
	var childEnds []*os.File
	defer func() {
		for _, f := range childEnds {
			f.Close()
		}
	}()
	outW, errW, err := r.openPipes()
	if err != nil {
		return nil, err
	}
	undo = append(undo, func() { r.pipes[0].Close(); r.pipes[1].Close() })
	childEnds = append(childEnds, outW, errW)

	ps := proc.Spec{Argv: app.Argv(), Dir: app.Cwd, Env: env, Stdout: outW, Stderr: errW}
	ps.Credential, ps.User = credential(app)
	r.probes = newProbers(app, env)
	if len(app.Listen) > 0 {
		var private []*listen.Socket
		if ps, private, err = in.sup.withSockets(app, in.id, ps, r.probes); err != nil {
			return nil, err
		}
		r.probeSocks = private
		undo = append(undo, r.closeProbeSockets)
	} else if app.ListensOnDemand() && app.IPC != spec.IPCOff && in.sup.runDir != "" {
		// PM2's cluster mode: the preload asks tend for each address
		// the app listens on (ondemand.go).
		path, err := in.sup.preload()
		if err != nil {
			return nil, err
		}
		ps.Env = setEnv(ps.Env, "NODE_OPTIONS", nodepreload.Options(getEnv(ps.Env, "NODE_OPTIONS"), path))
		ps.Env = setEnv(ps.Env, "TEND_LISTEN_ON_DEMAND", "1")
	}
	if app.IPC != spec.IPCOff {
		c, child, err := ipc.Pair(app.IsNode())
		if err != nil {
			return nil, fmt.Errorf("ipc channel: %w", err)
		}
		r.conn = c
		undo = append(undo, func() { c.Close() })
		childEnds = append(childEnds, child)
		ps.ExtraFiles = append(ps.ExtraFiles, child)
		ps.Env = channelEnv(ps.Env, app, 2+len(ps.ExtraFiles))
		in.poolWorker(r, app)
	}
	if in.sup.notifyPath != "" {
		ps.Env = setEnv(ps.Env, "NOTIFY_SOCKET", in.sup.notifyPath)
		if app.Watchdog > 0 {
			ps.Env = setEnv(ps.Env, "WATCHDOG_USEC", strconv.FormatInt(app.Watchdog.D().Microseconds(), 10))
		}
	}
	seq := in.sup.runSeq.Add(1)
	if ps.Cgroup = in.newCgroup(seq); ps.Cgroup != nil {
		undo = append(undo, func() { ps.Cgroup.Remove() })
	}
	if app.HasLimits() {
		if r.limits, err = in.sup.enforcer.Apply(fmt.Sprintf("%s-%d.%d", in.name, in.id, seq), ps.Cgroup, limitsOf(app)); err != nil {
			return nil, err
		}
		undo = append(undo, func() { r.limits.Remove() })
		r.limitApp = spec.App{MemoryMax: app.MemoryMax, MemoryHigh: app.MemoryHigh, CPUQuota: app.CPUQuota,
			CPUWeight: app.CPUWeight, PidsMax: app.PidsMax}
		r.limitsHow = in.sup.enforcer.Mechanism(limitsOf(app))
		if len(r.limits.Join) > 0 {
			// cgroup v1: the shim joins the groups before the exec.
			ps.Env = setEnv(ps.Env, execshim.JoinVar, strings.Join(r.limits.Join, ":"))
			if ps, err = viaShim(ps); err != nil {
				return nil, err
			}
		}
	}
	if in.sup.marker != "" {
		ps.Marker = proc.Marker(in.sup.marker, fmt.Sprintf("%s-%d", in.name, in.id), seq)
	}
	p, err := in.sup.spawner.Start(ps)
	if err != nil {
		return nil, err
	}
	r.p, r.started, r.procDone = p, p.Started, p.Done()
	r.readyLine.Store(compileReadyLine(app))
	in.sup.register(r)
	in.startProbes(r, ps)
	if app.MaxMemoryRestart > 0 || (r.limits != nil && app.MemoryMax > 0) {
		go in.watchMemory(r, r.watching())
	}
	in.watchFiles(r, app)
	return r, nil
}

// openPipes makes the run's stdout and stderr pipes, keeping the read
// ends; it returns the write ends for the child.
func (r *run) openPipes() (outW, errW *os.File, err error) {
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("stdout pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, nil, fmt.Errorf("stderr pipe: %w", err)
	}
	logs.GrowPipe(outR)
	logs.GrowPipe(errR)
	r.pipes = [2]*os.File{outR, errR}
	return outW, errW, nil
}

// newCgroup makes a run's cgroup, or returns nil to keep the tree by
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

// release undoes what spawn made, once the main process is reaped and the
// tree is gone, and returns how the main process ended. Pipes a process
// outside the tree still holds are closed here, which ends their readers.
func (r *run) release() proc.Status {
	r.stopWatches()
	if g := r.p.Group; g != nil {
		if err := g.Remove(); err != nil {
			r.in.log.Warn("cgroup", "err", err)
		}
	}
	if r.limits != nil {
		if err := r.limits.Remove(); err != nil {
			r.in.log.Warn("cgroup", "err", err)
		}
	}
	r.in.sup.unregister(r)
	r.closeProbeSockets()
	if r.watcher != nil {
		r.watcher.Close()
		r.watcher, r.watchC = nil, nil
	}
	if r.conn != nil {
		r.conn.Close()
	}
	for _, f := range r.pipes {
		f.Close() // the reader's own close may have come first
	}
	r.readyLine.Store(nil)
	r.dropTimers()
	r.killC, r.pollC, r.drainC, r.cronC = nil, nil, nil, nil
	r.chanC, r.chanWaitC = nil, nil
	return r.p.Status()
}

// closeProbeSockets closes the daemon's copies of the run's own probe
// sockets (the child keeps its own).
func (r *run) closeProbeSockets() {
	for _, s := range r.probeSocks {
		s.Close()
	}
	r.probeSocks = nil
}

// dropTimers stops the waits of a live run: readiness and watchdog.
func (r *run) dropTimers() {
	r.readyC, r.readyTimeoutC, r.watchdogC, r.deadlineC = nil, nil, nil, nil
}

// alive reports whether the run's main process has not been reaped.
func (r *run) alive() bool { return r != nil && r.procDone != nil }
