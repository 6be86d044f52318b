package supervisor

import (
	"cmp"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/health"
	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/spec"
)

// Probe roles.
const (
	roleHealth    = "health"
	roleReadiness = "readiness"
)

const (
	// probeFast is how often a probe that gates online is checked until
	// it first passes, so an instance is online as soon as it answers
	// rather than an interval later.
	probeFast = 200 * time.Millisecond
	// execOutputMax is how much of an exec probe's output is kept (Node's
	// maxBuffer); the rest is read and dropped, so the probe never blocks
	// on a full pipe.
	execOutputMax = 4 << 10
)

// prober is one probe of a run: its spec with ${VAR} filled from the
// run's environment, and what the owner has made of its results.
type prober struct {
	role   string
	spec   *spec.Probe
	target *spec.Probe // spec, expanded
	gates  bool        // its first pass makes the instance online (ready: probe)
	// dial, when set, is where the check really goes: the run's own
	// socket (aimed, its port) in place of the shared one.
	dial   string
	aimed  int
	tally  health.Tally
	last   health.Result
	at     time.Time
	output string
}

// probeResult is one check's outcome, for the owner.
type probeResult struct {
	idx    int
	res    health.Result
	output string
}

// newProbers makes the probes of a run of app whose environment is env
// (expand again once the sockets' variables are set).
func newProbers(app *spec.App, env []string) []*prober {
	var out []*prober
	add := func(role string, p *spec.Probe, gates bool) {
		if p != nil {
			out = append(out, &prober{role: role, spec: p, target: expandProbe(p, env), gates: gates})
		}
	}
	byProbe := app.Ready == spec.ReadyProbe
	add(roleReadiness, app.Readiness, byProbe)
	add(roleHealth, app.Health, byProbe && app.Readiness == nil)
	return out
}

// expand fills ${VAR} in the probe's target from env, keeping the port it
// was aimed at, if any.
func (p *prober) expand(env []string) {
	p.target = expandProbe(p.spec, env)
	if p.aimed != 0 {
		p.aimAt(p.aimed)
	}
}

// targetPort is the TCP port an http or tcp probe connects to, or 0.
func (p *prober) targetPort() int {
	hostport := p.target.TCP
	if p.target.HTTP != "" {
		u, err := url.Parse(p.target.HTTP)
		if err != nil {
			return 0
		}
		switch {
		case u.Port() != "":
			hostport = u.Host
		case u.Scheme == "https":
			return 443
		default:
			return 80
		}
	}
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(port)
	return n
}

// aimAt points an http or tcp probe at 127.0.0.1:port, the run's own
// socket; show still names the address as written.
func (p *prober) aimAt(port int) {
	p.aimed = port
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if p.target.HTTP != "" {
		if u, err := url.Parse(p.target.HTTP); err == nil {
			u.Host = addr
			p.dial = u.String()
		}
		return
	}
	p.dial = addr
}

// expandProbe is p with ${VAR} in its target filled from env.
func expandProbe(p *spec.Probe, env []string) *spec.Probe {
	c := p.Clone()
	c.HTTP, c.TCP = expandBraces(p.HTTP, env), expandBraces(p.TCP, env)
	for i, a := range c.Exec {
		c.Exec[i] = expandBraces(a, env)
	}
	return c
}

// expandBraces fills ${VAR} in s from env.
func expandBraces(s string, env []string) string {
	return spec.ExpandBraces(s, func(k string) string { return getEnv(env, k) })
}

// startProbes starts a goroutine per probe of r; they end when r's
// watches are stopped (stopWatches), each after the check it is in.
func (in *instance) startProbes(r *run, ps proc.Spec) {
	if len(r.probes) == 0 {
		return
	}
	r.watching()
	for i, p := range r.probes {
		check := in.sup.checkOf(p.target, p.dial, ps)
		// Until it first passes, a probe that online waits for is
		// checked often: the instance is online as soon as it answers.
		fast := p.gates || p.role == roleReadiness
		go in.probeLoop(r, i, p.target, fast, check, r.watchStop)
	}
}

// watching returns the channel that ends r's watch goroutines (probes,
// the memory watch), making it on first use.
func (r *run) watching() <-chan struct{} {
	if r.watchStop == nil {
		r.watchStop = make(chan struct{})
	}
	return r.watchStop
}

// stopWatches ends r's watch goroutines; safe to call more than once.
func (r *run) stopWatches() {
	if r.watchStop != nil {
		close(r.watchStop)
		r.watchStop = nil
	}
}

// probeLoop checks p every interval (with fast, every probeFast until it
// first passes) and hands each result to the owner. Checks start an
// interval apart, as Kubernetes' periodSeconds, so a hung app is found
// within interval x failure_threshold + timeout; a check slower than the
// interval is followed by the next at once, never by two at a time.
func (in *instance) probeLoop(r *run, idx int, p *spec.Probe, fast bool, check probeCheck, stop <-chan struct{}) {
	defer crash.Guard(in.log, "probe")
	if check.close != nil {
		defer check.close()
	}
	interval := p.Interval.D()
	next := func(fast bool) time.Duration {
		if fast {
			return min(interval, probeFast)
		}
		return interval
	}
	inRow := 0
	t := time.NewTimer(next(fast))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		began := time.Now()
		res, out := check.run()
		select {
		case in.inbox <- appSignal{r: r, kind: sigProbe, probe: &probeResult{idx: idx, res: res, output: out}}:
		case <-stop:
			return
		case <-in.done:
			return
		}
		if inRow = inRow + 1; !res.OK {
			inRow = 0
		}
		if fast && inRow >= max(p.SuccessThreshold, 1) {
			fast = false
		}
		t.Reset(tickAfter(began, next(fast)))
	}
}

// tickAfter is how long from now until the first multiple of every (on
// the clock) after began. Probes of one interval so fall due together,
// and the daemon wakes once a second for 50 apps' probes, not 50 times:
// waking is most of what a probe costs it.
func tickAfter(began time.Time, every time.Duration) time.Duration {
	return max(0, time.Until(began.Truncate(every).Add(every)))
}

// checkOf returns the check of probe p for a run started as ps.
func (s *Supervisor) checkOf(p *spec.Probe, dial string, ps proc.Spec) probeCheck {
	timeout := p.Timeout.D()
	switch p.Kind() {
	case "http":
		// The probe's goroutine is the connection's only user; it is
		// dropped when the probe stops (see probeLoop).
		target, conn := cmp.Or(dial, p.HTTP), new(health.HTTPConn)
		return probeCheck{func() (health.Result, string) {
			return conn.Check(target, p.Headers, p.ExpectStatus, timeout), ""
		}, conn.Close}
	case "tcp":
		target := cmp.Or(dial, p.TCP)
		return probeCheck{run: func() (health.Result, string) { return health.TCP(target, timeout), "" }}
	}
	probe := proc.Spec{Argv: p.Exec, Dir: ps.Dir, Env: ps.Env, Credential: ps.Credential, User: ps.User}
	return probeCheck{run: func() (health.Result, string) { return s.execCheck(probe, timeout) }}
}

// probeCheck is one probe's check, and what to release when the probe
// stops (an http probe's kept connection).
type probeCheck struct {
	run   func() (health.Result, string)
	close func()
}

// execCheck runs an exec probe through the spawner (its one reaper: a
// wait of os/exec would race it), in a process group of its own that is
// killed at timeout, and keeps the first execOutputMax bytes of its
// output.
func (s *Supervisor) execCheck(ps proc.Spec, timeout time.Duration) (health.Result, string) {
	what := "exec " + strings.Join(ps.Argv, " ")
	if len(what) > 80 {
		what = what[:80] + "…"
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return health.Result{Detail: fmt.Sprintf("%s: %v", what, err)}, ""
	}
	ps.Stdout, ps.Stderr = pw, pw
	t0 := time.Now()
	p, err := s.spawner.Start(ps)
	pw.Close()
	if err != nil {
		pr.Close()
		return health.Result{Detail: fmt.Sprintf("%s: %v", what, err)}, ""
	}
	outC := make(chan string, 1)
	go func() {
		var b strings.Builder
		io.Copy(&b, io.LimitReader(pr, execOutputMax))
		io.Copy(io.Discard, pr)
		outC <- b.String()
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	timedOut := false
	select {
	case <-p.Done():
	case <-timer.C:
		timedOut = true
		syscall.Kill(-p.Pid, syscall.SIGKILL)
		<-p.Done()
	}
	lat := time.Since(t0)
	// A process of its own group may still hold the pipe: do not wait
	// for it past a moment.
	var out string
	select {
	case out = <-outC:
	case <-time.After(100 * time.Millisecond):
	}
	pr.Close()
	st := p.Status()
	switch {
	case timedOut:
		return health.Result{Latency: lat, Detail: fmt.Sprintf("%s: timeout after %s (killed)", what, timeout)}, out
	case st.Signal != 0:
		return health.Result{Latency: lat, Detail: fmt.Sprintf("%s: killed by %s", what, spec.SignalName(st.Signal))}, out
	case st.Code != 0:
		return health.Result{Latency: lat, Detail: fmt.Sprintf("%s: exit %d", what, st.Code)}, out
	}
	return health.Result{OK: true, Latency: lat, Detail: what + ": exit 0"}, out
}

// onProbe acts on one result of the current run's probe.
func (in *instance) onProbe(r *run, pr *probeResult) {
	if pr.idx >= len(r.probes) {
		return
	}
	p := r.probes[pr.idx]
	p.last, p.at, p.output = pr.res, time.Now(), pr.output
	th := health.Thresholds{FailureThreshold: p.spec.FailureThreshold, SuccessThreshold: p.spec.SuccessThreshold,
		StartPeriod: p.spec.StartPeriod.D()}
	if !pr.res.OK && p.role == roleHealth && in.state != Online {
		return // a liveness failure counts once the instance is online
	}
	var change health.Change
	p.tally, change = health.Record(th, p.tally, pr.res.OK, time.Since(r.started))
	switch {
	case change == health.BecamePassing && in.state == Starting && p.gates:
		in.becomeReady("probe", "ready (probe: "+pr.res.Detail+")")
	case change == health.BecamePassing && in.state == Starting && r.pendingReady != "":
		via := r.pendingReady
		r.pendingReady = ""
		in.becomeReady(via, "ready ("+via+", and the readiness probe passes)")
	case change == health.BecameFailing && p.role == roleHealth && in.state == Online:
		in.failRun(fmt.Sprintf("health: %s (%d in a row)", pr.res.Detail, p.tally.Failures))
	case change == health.BecameFailing && p.role == roleReadiness && in.state == Online:
		in.note(fmt.Sprintf("not ready: readiness %s (%d in a row)", pr.res.Detail, p.tally.Failures))
	case change == health.BecamePassing && p.role == roleReadiness && in.state == Online:
		in.note("ready again: readiness " + pr.res.Detail)
	}
}

// readinessHolds reports whether r may go online as far as its readiness
// probe is concerned: there is none, or it passes.
func (r *run) readinessHolds() bool {
	for _, p := range r.probes {
		if p.role == roleReadiness && !p.tally.Passing {
			return false
		}
	}
	return true
}

// probeStatus is what show gives of r's probes.
func (r *run) probeStatus() []spec.ProbeStatus {
	if len(r.probes) == 0 {
		return nil
	}
	out := make([]spec.ProbeStatus, len(r.probes))
	for i, p := range r.probes {
		out[i] = spec.ProbeStatus{Role: p.role, What: p.target.Describe(), Passing: p.tally.Passing,
			LastOK: p.last.OK, Last: p.last.Detail, LatencyMS: float64(p.last.Latency.Microseconds()) / 1000,
			At: p.at, Failures: p.tally.Failures, Output: p.output}
	}
	return out
}
