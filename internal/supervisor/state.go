// Package supervisor keeps apps in the state the user asked for. It is a
// reconciler: a command changes the desired state (stored in one
// transaction), each instance's owner goroutine converges to it, and a
// pass every second mends what a command left undone (reconcile.go).
//
// An instance's states and the inputs that move it (each move is recorded as an event):
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
// An app with depends_on whose dependencies have not met their
// conditions is held: start (from stopped or errored) and the restart
// timer move it to waiting by "hold" instead of starting, and "release"
// starts it once they have (depends.go).
//
// A stored spec that no longer validates (a bound lowered, a record of an
// older build) goes from stopped straight to errored by "invalid"; it is
// never started until a valid spec replaces it.
//
// stop from exited, waiting or errored goes straight to stopped. Every
// other pairing of state and input is refused with "cannot INPUT while
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

// Input is what moves an instance from one state to another: the state
// machine's input. What is recorded of each move is a spec.Event.
type Input uint8

// The inputs.
const (
	InStart   Input = iota // the user asked it to run
	InReady                // it proved ready
	InExit                 // its main process ended
	InStop                 // the user (or shutdown) asked it to stop
	InGone                 // the last process of its tree ended while stopping
	InRestart              // the policy decided to start it again
	InTimer                // the restart delay passed
	InGiveUp               // the crash-loop rule gave up
	InRest                 // the policy decided it stays down
	InInvalid              // its stored spec does not validate
	InHold                 // its dependencies have not met their conditions
	InRelease              // they have
	numInputs
)

var inputNames = [numInputs]string{"start", "ready", "exit", "stop", "gone", "restart", "timer", "give up", "rest", "invalid", "hold", "release"}

func (e Input) String() string {
	if e < numInputs {
		return inputNames[e]
	}
	return fmt.Sprintf("Input(%d)", e)
}

// transitions is the legal-move table: transitions[from][input] = to.
// A missing entry is an illegal move.
var transitions = map[State]map[Input]State{
	Stopped:  {InStart: Starting, InStop: Stopped, InInvalid: Errored, InHold: Waiting},
	Starting: {InReady: Online, InExit: Exited, InStop: Stopping},
	Online:   {InExit: Exited, InStop: Stopping},
	Stopping: {InStop: Stopping, InExit: Stopping, InGone: Stopped},
	Exited:   {InStop: Stopped, InRestart: Waiting, InGiveUp: Errored, InRest: Stopped},
	Waiting:  {InStop: Stopped, InTimer: Starting, InHold: Waiting, InRelease: Starting},
	Errored:  {InStart: Starting, InStop: Stopped, InHold: Waiting},
}

// TransitionError is an input that makes no sense in a state.
type TransitionError struct {
	From  State
	Input Input
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s while %s", e.Input, e.From)
}

// Next returns the state that ev moves from to, or a *TransitionError.
func Next(from State, ev Input) (State, error) {
	if to, ok := transitions[from][ev]; ok {
		return to, nil
	}
	return from, &TransitionError{From: from, Input: ev}
}

// Running reports whether a process may be alive in s.
func (s State) Running() bool { return s == Starting || s == Online || s == Stopping }
