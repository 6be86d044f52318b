package supervisor

import (
	"errors"
	"testing"
)

// TestNextEveryStateAndInput checks the whole table: every state × input
// pairing either moves where the diagram says or is refused.
func TestNextEveryStateAndInput(t *testing.T) {
	want := map[State]map[Input]State{
		Stopped:  {InStart: Starting, InStop: Stopped, InInvalid: Errored, InHold: Waiting},
		Starting: {InReady: Online, InExit: Exited, InStop: Stopping},
		Online:   {InExit: Exited, InStop: Stopping},
		Stopping: {InStop: Stopping, InExit: Stopping, InGone: Stopped},
		Exited:   {InStop: Stopped, InRestart: Waiting, InGiveUp: Errored, InRest: Stopped},
		Waiting:  {InStop: Stopped, InTimer: Starting, InHold: Waiting, InRelease: Starting},
		Errored:  {InStart: Starting, InStop: Stopped, InHold: Waiting},
	}
	for s := range numStates {
		for ev := range numInputs {
			got, err := Next(s, ev)
			to, legal := want[s][ev]
			switch {
			case legal && (err != nil || got != to):
				t.Errorf("Next(%s, %s) = %s, %v; want %s", s, ev, got, err, to)
			case !legal:
				var te *TransitionError
				if !errors.As(err, &te) || got != s {
					t.Errorf("Next(%s, %s) = %s, %v; want refusal", s, ev, got, err)
				} else if msg := "cannot " + ev.String() + " while " + s.String(); err.Error() != msg {
					t.Errorf("Next(%s, %s) error %q, want %q", s, ev, err, msg)
				}
			}
		}
	}
}

func TestStateNamesRoundTrip(t *testing.T) {
	for s := range numStates {
		got, err := ParseState(s.String())
		if err != nil || got != s {
			t.Errorf("ParseState(%q) = %v, %v; want %v", s.String(), got, err, s)
		}
	}
	if _, err := ParseState("running"); err == nil {
		t.Error(`ParseState("running") succeeded; want an error`)
	}
}
