package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// repeat N INTERVAL CMD ARGS...: run a command N times, one start every
// INTERVAL (a reload under load); each run must succeed.
func repeat(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 || neg {
		ts.Fatalf("usage: repeat N INTERVAL CMD ARGS...")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	every, err := time.ParseDuration(args[1])
	ts.Check(err)
	path, err := lookPath(ts, args[2])
	ts.Check(err)
	next := time.Now()
	for i := 1; i <= n; i++ {
		time.Sleep(time.Until(next))
		next = next.Add(every)
		cmd := exec.Command(path, args[3:]...)
		cmd.Dir = ts.Getenv("WORK")
		cmd.Env = scriptEnv(ts)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		ts.Logf("repeat %d/%d: %s took %s", i, n, strings.Join(args[2:], " "), time.Since(start).Round(time.Millisecond))
		if err != nil {
			ts.Fatalf("repeat %d/%d: %v\n%s", i, n, err, out)
		}
	}
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// wrkFailures reads wrk's report: requests done and failed ones of
// every kind (non-2xx, connect, read, write, timeout).
func wrkFailures(out string) (requests, failed int, kinds string) {
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	if m := wrkRequests.FindStringSubmatch(out); m != nil {
		requests = atoi(m[1])
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			failed += atoi(s)
		}
		kinds = m[0]
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		failed += atoi(m[1])
		kinds += "; " + m[0]
	}
	return requests, failed, kinds
}

// wrkclean: the wrk report in stdout (after `wait`) counts requests and
// no failed one; `! wrkclean`: it counts failed ones (a control run that
// proves the test can see a drop).
func wrkClean(ts *testscript.TestScript, neg bool, args []string) {
	out := ts.ReadFile("stdout")
	requests, failed, kinds := wrkFailures(out)
	if requests == 0 {
		ts.Fatalf("no wrk report with requests in stdout:\n%s", out)
	}
	ts.Logf("wrk: %d requests, %d failed (%s)", requests, failed, kinds)
	if neg && failed == 0 {
		ts.Fatalf("the control run failed no request of %d: the test cannot see a drop", requests)
	}
	if !neg && failed > 0 {
		ts.Fatalf("%d of %d requests failed: %s", failed, requests, kinds)
	}
}

// pids N URL MIN: N requests to URL (a new connection each, four at a
// time) are answered by at least MIN distinct "pid P" responders. One at
// a time, an instance on a shared socket could take every connection: the
// one that just answered is awake first (the examples' spread flake).
func pids(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: pids N URL MIN")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	re := regexp.MustCompile(`pid (\d+)`)
	seen := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var failed error
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				out, err := exec.Command("curl", "-s", "-H", "Connection: close", args[1]).Output()
				mu.Lock()
				if err != nil {
					failed = err
				} else if m := re.FindSubmatch(out); m != nil {
					seen[string(m[1])]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	ts.Check(failed)
	ts.Logf("responders: %v", seen)
	if len(seen) < want {
		ts.Fatalf("%d requests were answered by %d processes; want at least %d", n, len(seen), want)
	}
}

// underload MIN WRK ARGS... -- CMD ARGS...: run wrk, and while it runs,
// run CMD again and again (a reload), each right after the last. Only
// runs that started and finished inside wrk's run count, and at least
// MIN must (issue 10: the reload tests started reloads but never checked
// that they ran under load; under -race 2 of 5 ended after wrk did). Once
// MIN have, wrk is stopped with SIGINT (it reports as at its end) a
// moment later, so wrk's -d is the most it runs: a loaded machine makes
// the run longer instead of failing it. Each run must succeed; with
// `! underload`, each must fail (a bad deploy).
// With -once instead of MIN, CMD runs once (an apply that changes the
// app) and must finish inside wrk's run. stdout is CMD's last output,
// then wrk's report (for wrkclean); stderr is CMD's.
//
// One underload runs at a time in the whole suite: two wrk runs of 50
// connections beside each other on a 2-core machine, with the servers and
// race-built daemons, starved each other until answers took over wrk's 2s
// (a clean-clone CI run: 39 timeouts in a Node reload, 1 in an apply, at
// the same moment in two scripts). And wrk waits 5s for an answer unless
// told: a request answered late on a starved machine is not downtime; a
// refused, reset or unanswered one is.
func underload(ts *testscript.TestScript, neg bool, args []string) {
	dash := slices.Index(args, "--")
	if len(args) < 4 || dash < 2 || dash == len(args)-1 {
		ts.Fatalf("usage: underload MIN WRK ARGS... -- CMD ARGS...")
	}
	once := args[0] == "-once"
	minRuns := 1
	if !once {
		n, err := strconv.Atoi(args[0])
		ts.Check(err)
		minRuns = n
	}
	wrkArgs, cmdArgs := slices.Clone(args[1:dash]), args[dash+1:]
	stretchDuration(wrkArgs)
	if !slices.ContainsFunc(wrkArgs, func(a string) bool { return strings.HasPrefix(a, "--timeout") }) {
		wrkArgs = slices.Insert(wrkArgs, 1, "--timeout", "5s")
	}
	waitStart := time.Now()
	loadMu.Lock()
	defer loadMu.Unlock()
	if waited := time.Since(waitStart); waited > 100*time.Millisecond {
		ts.Logf("underload: waited %s for another script's load to end", waited.Round(time.Millisecond))
	}
	wrkPath, err := lookPath(ts, wrkArgs[0])
	ts.Check(err)
	cmdPath, err := lookPath(ts, cmdArgs[0])
	ts.Check(err)
	var wrkOut strings.Builder
	wrk := exec.Command(wrkPath, wrkArgs[1:]...)
	wrk.Stdout, wrk.Stderr = &wrkOut, &wrkOut
	ts.Check(wrk.Start())
	wrkStart := time.Now()
	// wrk's end is taken when it exits, not when the loop below next
	// looks: a run of CMD that outlasts wrk must not stretch it.
	var wrkEndAt time.Time
	done := make(chan error, 1)
	go func() {
		err := wrk.Wait()
		wrkEndAt = time.Now()
		done <- err
	}()
	type run struct{ start, end time.Time }
	var runs []run
	var wrkErr error
	var wrkEnd time.Time
	var stdout, stderr strings.Builder
	inside := 0
	waited := false
	defer func() {
		if !waited { // a failed run ends the command: wrk must not run on
			wrk.Process.Kill()
			<-done
		}
	}()
loop:
	for {
		select {
		case wrkErr = <-done:
			wrkEnd = wrkEndAt
			break loop
		default:
		}
		if once && len(runs) == 1 {
			wrkErr = <-done
			wrkEnd = wrkEndAt
			break
		}
		cmd := exec.Command(cmdPath, cmdArgs[1:]...)
		cmd.Dir = ts.Getenv("WORK")
		cmd.Env = scriptEnv(ts)
		stdout.Reset()
		stderr.Reset()
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		r := run{start: time.Now()}
		err := cmd.Run()
		out := stdout.String() + stderr.String()
		r.end = time.Now()
		runs = append(runs, r)
		ts.Logf("underload %d: %s took %s", len(runs), strings.Join(cmdArgs, " "), r.end.Sub(r.start).Round(time.Millisecond))
		if (err == nil) == neg {
			ts.Fatalf("underload %d: %s: %v (want it to %s)\n%s", len(runs), strings.Join(cmdArgs, " "), err,
				map[bool]string{false: "succeed", true: "fail"}[neg], out)
		}
		if !once {
			select {
			case wrkErr = <-done:
				wrkEnd = wrkEndAt
				break loop
			default:
				// wrk still runs: this run finished inside it.
				if inside++; inside >= minRuns {
					time.Sleep(underloadTail)
					wrk.Process.Signal(os.Interrupt)
					wrkErr = <-done
					wrkEnd = wrkEndAt
					break loop
				}
			}
		}
	}
	waited = true
	if wrkErr != nil {
		ts.Fatalf("wrk: %v\n%s", wrkErr, wrkOut.String())
	}
	inside = 0
	for _, r := range runs {
		if !r.start.Before(wrkStart) && !r.end.After(wrkEnd) {
			inside++
		}
	}
	ts.Logf("underload: %d of %d runs finished inside wrk's %s", inside, len(runs), wrkEnd.Sub(wrkStart).Round(time.Millisecond))
	if inside < minRuns {
		ts.Fatalf("only %d of %d runs of %s finished while wrk ran; want at least %d (make wrk's run longer)",
			inside, len(runs), strings.Join(cmdArgs, " "), minRuns)
	}
	ts.Stdout().Write([]byte(stdout.String() + wrkOut.String()))
	ts.Stderr().Write([]byte(stderr.String()))
}

// underloadTail is how long wrk goes on after the last counted run, so
// the handover that run made is served under load too.
const underloadTail = 300 * time.Millisecond

// stretchDuration makes wrk's -dNs four times longer under the race
// detector: there every process of the test (the daemon, the exec shim,
// the helpers) is the race-built test binary, and a reload that takes
// 0.7s takes about 4s. The count of reloads asked for stays the same.
// loadMu is held by an underload for its whole run (see underload).
var loadMu sync.Mutex

func stretchDuration(wrkArgs []string) {
	if !raceOn {
		return
	}
	for i, a := range wrkArgs {
		if d, ok := strings.CutPrefix(a, "-d"); ok {
			if dur, err := time.ParseDuration(d); err == nil {
				// In seconds: wrk reads "80s" but not "1m20s".
				wrkArgs[i] = fmt.Sprintf("-d%ds", int((4 * dur).Seconds()))
			}
		}
	}
}

// listenport APP VAR [N]: set VAR to the port of APP's Nth socket (0 by
// default) as bound: scripts declare tcp://127.0.0.1:0 and the kernel
// picks a free port, which tend holds from then on, so no two scripts
// running at once, nor wrk's client sockets, can meet on a port.
func listenPort(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 || neg {
		ts.Fatalf("usage: listenport APP VAR [N]")
	}
	n := 0
	if len(args) == 3 {
		var err error
		n, err = strconv.Atoi(args[2])
		ts.Check(err)
	}
	path, err := lookPath(ts, "tend")
	ts.Check(err)
	cmd := exec.Command(path, "show", args[0], "--json")
	cmd.Env = scriptEnv(ts)
	out, err := cmd.Output()
	if err != nil {
		ts.Fatalf("tend show %s: %v", args[0], err)
	}
	var app struct {
		Listening []string `json:"listening"`
	}
	ts.Check(json.Unmarshal(out, &app))
	if n >= len(app.Listening) {
		ts.Fatalf("%s listens on %q; no socket %d", args[0], app.Listening, n)
	}
	u, err := url.Parse(app.Listening[n])
	ts.Check(err)
	ts.Setenv(args[1], u.Port())
	ts.Logf("%s=%s", args[1], u.Port())
}
