package supervisor

import (
	"errors"
	"testing"
)

// TestNextEveryStateAndEvent checks the whole table: every state × event
// pairing either moves where the diagram says or is refused.
func TestNextEveryStateAndEvent(t *testing.T) {
	want := map[State]map[Event]State{
		Stopped:  {EvStart: Starting, EvStop: Stopped, EvInvalid: Errored},
		Starting: {EvReady: Online, EvExit: Exited, EvStop: Stopping},
		Online:   {EvExit: Exited, EvStop: Stopping},
		Stopping: {EvStop: Stopping, EvExit: Stopping, EvGone: Stopped},
		Exited:   {EvStop: Stopped, EvRestart: Waiting, EvGiveUp: Errored, EvRest: Stopped},
		Waiting:  {EvStop: Stopped, EvTimer: Starting},
		Errored:  {EvStart: Starting, EvStop: Stopped},
	}
	for s := range numStates {
		for ev := range numEvents {
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
