package main

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
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

// pids N URL MIN: N requests to URL (a new connection each) are answered
// by at least MIN distinct "pid P" responders.
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
	for range n {
		out, err := exec.Command("curl", "-s", "-H", "Connection: close", args[1]).Output()
		ts.Check(err)
		if m := re.FindSubmatch(out); m != nil {
			seen[string(m[1])]++
		}
	}
	ts.Logf("responders: %v", seen)
	if len(seen) < want {
		ts.Fatalf("%d requests were answered by %d processes; want at least %d", n, len(seen), want)
	}
}
