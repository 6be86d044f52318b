package spec

import (
	"slices"
	"testing"
)

func TestRecordWant(t *testing.T) {
	rec := func(d Desired, n int, stopped ...int) Record {
		return Record{App: &App{Name: "a", Instances: n}, Desired: d, Stopped: stopped}
	}
	tests := []struct {
		name    string
		in      Record
		id      int
		run     bool
		desired Desired
		stopped []int
		wants   []bool
	}{
		{"stop one of three", rec(DesiredRunning, 3), 1, false, DesiredRunning, []int{1}, []bool{true, false, true}},
		{"stop it twice", rec(DesiredRunning, 3, 1), 1, false, DesiredRunning, []int{1}, []bool{true, false, true}},
		{"start it again", rec(DesiredRunning, 3, 1), 1, true, DesiredRunning, nil, []bool{true, true, true}},
		{"stop the last one up", rec(DesiredRunning, 2, 0), 1, false, DesiredStopped, nil, []bool{false, false}},
		{"the only instance", rec(DesiredRunning, 1), 0, false, DesiredStopped, nil, []bool{false}},
		{"start one of a stopped app", rec(DesiredStopped, 3), 2, true, DesiredRunning, []int{0, 1}, []bool{false, false, true}},
		{"stop one of a stopped app", rec(DesiredStopped, 3), 2, false, DesiredStopped, nil, []bool{false, false, false}},
		{"an id beyond the app", rec(DesiredRunning, 2), 7, false, DesiredRunning, nil, []bool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.in.Stopped)
			got := tt.in.Want(tt.id, tt.run)
			if got.Desired != tt.desired || !slices.Equal(got.Stopped, tt.stopped) {
				t.Errorf("Want(%d, %v) = %s %v, want %s %v", tt.id, tt.run, got.Desired, got.Stopped, tt.desired, tt.stopped)
			}
			for id, w := range tt.wants {
				if got.Wants(id) != w {
					t.Errorf("Wants(%d) = %v, want %v", id, !w, w)
				}
			}
			if !slices.Equal(tt.in.Stopped, before) {
				t.Errorf("Want changed its receiver's list: %v, was %v", tt.in.Stopped, before)
			}
		})
	}
}

func TestRecordNormalizeAfterScaleDown(t *testing.T) {
	r := Record{App: &App{Name: "a", Instances: 2}, Desired: DesiredRunning, Stopped: []int{3, 1, 1}}
	got := r.Normalize()
	if got.Desired != DesiredRunning || !slices.Equal(got.Stopped, []int{1}) {
		t.Errorf("Normalize = %s %v, want running [1]", got.Desired, got.Stopped)
	}
	if got := r.WantAll(DesiredRunning); got.Stopped != nil || !got.Wants(1) {
		t.Errorf("WantAll(running) kept %v", got.Stopped)
	}
}
