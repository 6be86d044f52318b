// Package supervisor keeps apps in the state the user asked for. It is a
// reconciler: a command changes the desired state (stored in one
// transaction), and each instance's owner goroutine converges to it.
//
// An instance's states and the events that move it:
//
//	           start                 ready (min_uptime or a signal)
//	stopped ─────────▶ starting ─────────────────▶ online
//	  ▲  ▲               │  │                        │  │
//	  │  │          stop │  │ exit                   │  │ exit
//	  │  │               ▼  ▼                        │  ▼
//	  │  └── gone ── stopping ◀────── stop ──────────┘ exited ──giveup──▶ errored
//	  │                                                │  │                 │
//	  │                                  rest (policy) │  │ restart         │ start
//	  └────────────────────────────────────────────────┘  ▼                 ▼
//	                                                    waiting ──timer──▶ starting
//
// A stored spec that no longer validates (a bound lowered, a record of an
// older build) goes from stopped straight to errored by "invalid"; it is
// never started until a valid spec replaces it.
//
// stop from exited, waiting or errored goes straight to stopped. Every
// other pairing of state and event is refused with "cannot EVENT while
// STATE". The table below is the one place these moves are written.
package supervisor

import "fmt"

// State is an instance's state. The set is closed.
type State uint8

// The states (DESIGN §4).
const (
	Stopped State = iota
	Starting
	Online
	Stopping
	Exited
	Waiting
	Errored
	numStates
)

var stateNames = [numStates]string{"stopped", "starting", "online", "stopping", "exited", "waiting", "errored"}

func (s State) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", s)
}

// ParseState is the inverse of String.
func ParseState(s string) (State, error) {
	for i, n := range stateNames {
		if n == s {
			return State(i), nil
		}
	}
	return 0, fmt.Errorf("unknown state %q", s)
}

// Event moves an instance from one state to another.
type Event uint8

// The events.
const (
	EvStart   Event = iota // the user asked it to run
	EvReady                // it proved ready
	EvExit                 // its main process ended
	EvStop                 // the user (or shutdown) asked it to stop
	EvGone                 // the last process of its tree ended while stopping
	EvRestart              // the policy decided to start it again
	EvTimer                // the restart delay passed
	EvGiveUp               // the crash-loop rule gave up
	EvRest                 // the policy decided it stays down
	EvInvalid              // its stored spec does not validate
	numEvents
)

var eventNames = [numEvents]string{"start", "ready", "exit", "stop", "gone", "restart", "timer", "give up", "rest", "invalid"}

func (e Event) String() string {
	if e < numEvents {
		return eventNames[e]
	}
	return fmt.Sprintf("Event(%d)", e)
}

// transitions is the legal-move table: transitions[from][event] = to.
// A missing entry is an illegal move.
var transitions = map[State]map[Event]State{
	Stopped:  {EvStart: Starting, EvStop: Stopped, EvInvalid: Errored},
	Starting: {EvReady: Online, EvExit: Exited, EvStop: Stopping},
	Online:   {EvExit: Exited, EvStop: Stopping},
	Stopping: {EvStop: Stopping, EvExit: Stopping, EvGone: Stopped},
	Exited:   {EvStop: Stopped, EvRestart: Waiting, EvGiveUp: Errored, EvRest: Stopped},
	Waiting:  {EvStop: Stopped, EvTimer: Starting},
	Errored:  {EvStart: Starting, EvStop: Stopped},
}

// TransitionError is an event that makes no sense in a state.
type TransitionError struct {
	From  State
	Event Event
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s while %s", e.Event, e.From)
}

// Next returns the state that ev moves from to, or a *TransitionError.
func Next(from State, ev Event) (State, error) {
	if to, ok := transitions[from][ev]; ok {
		return to, nil
	}
	return from, &TransitionError{From: from, Event: ev}
}

// Running reports whether a process may be alive in s.
func (s State) Running() bool { return s == Starting || s == Online || s == Stopping }
