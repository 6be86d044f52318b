package supervisor

import (
	"strings"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

func TestDecideRun(t *testing.T) {
	rec := func(conc string, n int, d spec.Desired) spec.Record {
		return spec.Record{App: &spec.App{Name: "job", Schedule: "* * * * *", Concurrency: conc, Instances: n}, Desired: d}
	}
	sn := func(id int, st State) *Snapshot {
		return &Snapshot{Instance: id, State: st, Started: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)}
	}
	run, stop := spec.DesiredRunning, spec.DesiredStopped
	for _, tc := range []struct {
		name  string
		rec   spec.Record
		snaps []*Snapshot
		kind  runKind
		slot  int
		why   string
	}{
		{"forbid, idle: start", rec("forbid", 1, run), []*Snapshot{sn(0, Stopped)}, runStart, 0, ""},
		{"forbid, errored last time: start", rec("forbid", 1, run), []*Snapshot{sn(0, Errored)}, runStart, 0, ""},
		{"forbid, running: skip", rec("forbid", 1, run), []*Snapshot{sn(0, Online)}, runSkip, 0, "the run started 2026-12-01 03:00:00 is still going (concurrency: forbid)"},
		{"forbid, waiting to retry: skip", rec("forbid", 1, run), []*Snapshot{sn(0, Waiting)}, runSkip, 0, "still waiting to restart"},
		{"replace, running: replace", rec("replace", 1, run), []*Snapshot{sn(0, Starting)}, runReplace, 0, ""},
		{"replace, idle: start", rec("replace", 1, run), []*Snapshot{sn(0, Stopped)}, runStart, 0, ""},
		{"allow: the first free slot", rec("allow", 3, run), []*Snapshot{sn(0, Online), sn(1, Stopped), sn(2, Stopped)}, runStart, 1, ""},
		{"allow, all busy: skip", rec("allow", 2, run), []*Snapshot{sn(0, Online), sn(1, Stopping)}, runSkip, 0, "all 2 of its runs at once"},
		{"stopped job: nothing", rec("forbid", 1, stop), []*Snapshot{sn(0, Stopped)}, runNone, 0, ""},
	} {
		got := decideRun(tc.rec, tc.snaps)
		if got.kind != tc.kind || got.slot != tc.slot || !strings.Contains(got.why, tc.why) {
			t.Errorf("%s: decideRun = %+v; want kind %d slot %d why %q", tc.name, got, tc.kind, tc.slot, tc.why)
		}
	}
}
