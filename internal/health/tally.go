// Package health runs an instance's probes (DESIGN §5, §8): http, tcp and
// exec checks, and the pure decision that turns their results into a
// verdict. It imports no sibling; the supervisor owns when probes run
// (each run object holds its own) and what a verdict does.
package health

import "time"

// Thresholds are a probe's counting rules (Kubernetes' and
// process-compose's words): how many results in a row change the
// verdict, and how long after a start failures do not count.
type Thresholds struct {
	FailureThreshold int           // failures in a row that make it failing; at least 1
	SuccessThreshold int           // successes in a row that make it passing; at least 1
	StartPeriod      time.Duration // failures before this much uptime do not count
}

// Tally is what the decision remembers between results. The zero Tally is
// a probe that has not passed yet.
type Tally struct {
	Passing   bool // the verdict: passing since SuccessThreshold successes in a row
	Failures  int  // failures in a row, counted ones only
	Successes int  // successes in a row
	// Failed is set once the probe reached FailureThreshold: for a
	// liveness probe, the moment to restart. It stays set until a success.
	Failed bool
}

// Change is what one result did to the verdict.
type Change uint8

// The changes a result can make.
const (
	Same          Change = iota // no change of verdict
	BecamePassing               // SuccessThreshold successes in a row: ready, or well again
	BecameFailing               // FailureThreshold counted failures in a row
)

// Record applies one result, ok or not, seen at uptime (how long the run
// has been up), and returns the new tally and what changed. It is a pure
// function: no clock but the uptime it is given.
func Record(th Thresholds, t Tally, ok bool, uptime time.Duration) (Tally, Change) {
	fail, succ := max(th.FailureThreshold, 1), max(th.SuccessThreshold, 1)
	if ok {
		t.Failures = 0
		t.Successes++
		if !t.Passing && t.Successes >= succ {
			t.Passing, t.Failed = true, false
			return t, BecamePassing
		}
		if t.Passing {
			t.Failed = false
		}
		return t, Same
	}
	t.Successes = 0
	if uptime < th.StartPeriod {
		return t, Same // still starting: the failure does not count
	}
	t.Failures++
	if t.Failures >= fail && !t.Failed {
		t.Failed, t.Passing = true, false
		return t, BecameFailing
	}
	return t, Same
}
