package supervisor

import (
	"strings"
	"testing"

	"github.com/tend-pm/tend/internal/spec"
)

func TestCondition(t *testing.T) {
	running := spec.Record{App: &spec.App{Name: "db", Instances: 2}, Desired: spec.DesiredRunning}
	stopped := spec.Record{App: &spec.App{Name: "db"}, Desired: spec.DesiredStopped}
	oneDown := running.Want(1, false)
	exit := func(code int, sig string) *spec.ExitInfo { return &spec.ExitInfo{Code: code, Signal: sig} }
	sn := func(id int, st State, f func(*Snapshot)) *Snapshot {
		s := &Snapshot{App: "db", Instance: id, State: st}
		if f != nil {
			f(s)
		}
		return s
	}
	done := func(s *Snapshot) { s.Rested, s.LastExit = true, exit(0, "") }
	failedExit := func(s *Snapshot) { s.Rested, s.LastExit = true, exit(2, "") }
	notReady := func(s *Snapshot) { s.NotReady = true }
	for _, tc := range []struct {
		name   string
		cond   string
		rec    spec.Record
		snaps  []*Snapshot
		met    bool
		failed string // a part of the reason
	}{
		{"started: starting counts", spec.DependStarted, running, []*Snapshot{sn(0, Starting, nil)}, true, ""},
		{"started: waiting does not", spec.DependStarted, running, []*Snapshot{sn(0, Waiting, nil)}, false, ""},
		{"started: a finished one-shot counts", spec.DependStarted, running, []*Snapshot{sn(0, Stopped, done)}, true, ""},
		{"ready: starting is not", spec.DependReady, running, []*Snapshot{sn(0, Starting, nil)}, false, ""},
		{"ready: online", spec.DependReady, running, []*Snapshot{sn(0, Online, nil)}, true, ""},
		{"ready: online, failing readiness", spec.DependReady, running, []*Snapshot{sn(0, Online, notReady)}, false, ""},
		{"ready: every wanted instance", spec.DependReady, running, []*Snapshot{sn(0, Online, nil), sn(1, Starting, nil)}, false, ""},
		{"ready: an instance stopped on purpose is not waited for", spec.DependReady, oneDown,
			[]*Snapshot{sn(0, Online, nil), sn(1, Stopped, nil)}, true, ""},
		{"completed: exit 0, rested", spec.DependCompleted, running, []*Snapshot{sn(0, Stopped, done)}, true, ""},
		{"completed: still running", spec.DependCompleted, running, []*Snapshot{sn(0, Online, nil)}, false, ""},
		{"completed: exit 2 fails", spec.DependCompleted, running, []*Snapshot{sn(0, Stopped, failedExit)}, false, "db ended (exit 2) and stays down"},
		{"completed: a signal fails", spec.DependCompleted, running,
			[]*Snapshot{sn(0, Stopped, func(s *Snapshot) { s.Rested, s.LastExit = true, exit(0, "SIGKILL") })}, false, "signal KILL"},
		{"errored fails any condition", spec.DependStarted, running,
			[]*Snapshot{sn(0, Errored, func(s *Snapshot) { s.Reason = "exit 3 ×5" })}, false, "db is errored: exit 3 ×5"},
		{"errored names the instance of many", spec.DependReady, running,
			[]*Snapshot{sn(0, Online, nil), sn(1, Errored, nil)}, false, "db:1 is errored"},
		{"stopped by the user fails", spec.DependReady, stopped, []*Snapshot{sn(0, Stopped, nil)}, false, "db is stopped; `tend start db` starts it"},
	} {
		met, failed := condition(tc.cond, tc.rec, tc.snaps)
		if met != tc.met || (tc.failed == "") != (failed == "") || !strings.Contains(failed, tc.failed) {
			t.Errorf("%s: condition = %v, %q; want %v, %q", tc.name, met, failed, tc.met, tc.failed)
		}
	}
}
