package supervisor

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/ipc"
	"github.com/tend-pm/tend/internal/spec"
)

// What a running app tells tend, over its IPC channel, sd_notify or its
// own output (DESIGN §4, §10).
type sigKind uint8

const (
	sigReady sigKind = iota
	sigStatus
	sigStopping
	sigReloading
	sigWatchdog
	sigExtend  // EXTEND_TIMEOUT_USEC: more time to become ready or to stop
	sigMainPID // MAINPID=: the service's main process is another pid
	sigMessage // any other IPC value: kept as an event
	sigBad     // a line that could not be read
	sigProbe   // a probe's result (from tend itself)
	sigMemory  // a sample of the tree's memory (max_memory_restart)
	sigNote    // something tend did for the run, to record (text)
	sigReplace // the pool asks for a new process (from: the trigger's kind, text: why)
)

// appSignal is one thing a run said. r is the run it came from: a
// signal of an ended run is ignored.
type appSignal struct {
	r    *run
	kind sigKind
	from string // "ipc", "notify" or "log"
	text string
	d    time.Duration
	pid  int

	probe *probeResult // sigProbe
	size  uint64       // sigMemory: bytes (and pid: the group's OOM kills)
}

// Bounds of what an app can make tend record.
const (
	// messageEvents is how many message events an instance may record per
	// second; beyond it they are counted and the count is recorded.
	messageEvents = 20
	// messageShown is how much of a message an event keeps.
	messageShown = 512
)

// tell hands a signal to the owner; it gives up if the instance is gone.
func (in *instance) tell(sg appSignal) {
	select {
	case in.inbox <- sg:
	case <-in.done:
	}
}

// readChannel reads the run's IPC channel until the child closes it.
func (in *instance) readChannel(r *run) {
	defer crash.Guard(in.log, "ipc channel")
	defer close(r.chanRead)
	r.conn.Read(func(m ipc.Message) {
		in.ipcIn.Add(1)
		sg := appSignal{r: r, from: "ipc"}
		switch m.Type {
		case "ready":
			sg.kind = sigReady
		case "status":
			sg.kind, sg.text = sigStatus, m.Text
		case "stopping":
			sg.kind = sigStopping
		case "result", "error":
			if taskAnswer(r, m) {
				return
			}
			sg.kind, sg.text = sigMessage, string(m.Raw)
		case "listen":
			// Answered here, not by the owner: the run's channel is
			// this reader's, and the app waits on the answer.
			in.sup.serveListen(in, r, m)
			return
		default:
			sg.kind, sg.text = sigMessage, string(m.Raw)
		}
		in.tell(sg)
	}, func(err error) {
		in.tell(appSignal{r: r, kind: sigBad, from: "ipc", text: err.Error()})
	}, func() time.Duration {
		if r.worker == nil {
			return 0
		}
		r.worker.FlushAnswers()
		return r.worker.Linger()
	})
}

// onSignal acts on what the current run said.
func (in *instance) onSignal(sg appSignal) {
	r := in.r
	if sg.r == nil || sg.r != r {
		return // from an ended run
	}
	switch sg.kind {
	case sigReady:
		in.readyBy(sg.from)
	case sigStatus:
		r.status = sg.text
	case sigStopping:
		in.note("the app says it is stopping (" + sg.from + ")")
	case sigReloading:
		in.note("the app says it is reloading (" + sg.from + ")")
	case sigWatchdog:
		if sg.text == "trigger" {
			in.failRun("watchdog: the app triggered it (WATCHDOG=trigger)")
		} else if in.app.Watchdog > 0 && in.state == Online {
			r.watchdogC = time.After(in.app.Watchdog.D())
		}
	case sigExtend:
		if in.state == Starting && r.readyTimeoutC != nil {
			r.readyTimeoutC = time.After(sg.d)
			in.note(fmt.Sprintf("the app asks %s more to become ready", sg.d))
		} else if in.state == Stopping && r.killC != nil {
			r.killC = time.After(sg.d)
			in.note(fmt.Sprintf("the app asks %s more to stop", sg.d))
		}
	case sigMainPID:
		in.note(fmt.Sprintf("the app says its main process is pid %d; tend follows the whole tree of pid %d", sg.pid, r.p.Pid))
	case sigMessage:
		in.noteMessage(sg.text)
	case sigBad:
		in.noteMessage("unreadable: " + sg.text)
	case sigProbe:
		in.onProbe(r, sg.probe)
	case sigMemory:
		in.onMemory(r, sg.size, sg.pid)
	case sigNote:
		in.note(sg.text)
	case sigReplace:
		in.triggerRestart(sg.from, sg.text)
	}
}

// noteMessage records a message event, at most messageEvents a second.
func (in *instance) noteMessage(text string) {
	now := time.Now()
	if now.Sub(in.msgWindow) >= time.Second {
		if in.msgDropped > 0 {
			in.note(fmt.Sprintf("%d more messages in a second not recorded", in.msgDropped))
		}
		in.msgWindow, in.msgCount, in.msgDropped = now, 0, 0
	}
	if in.msgCount >= messageEvents {
		in.msgDropped++
		return
	}
	in.msgCount++
	if len(text) > messageShown {
		text = text[:messageShown] + "…"
	}
	in.note("message " + text)
}

// readyBy moves a starting instance online if the app's rule accepts a
// signal from src.
func (in *instance) readyBy(src string) {
	if in.state != Starting {
		return
	}
	rule := in.app.Ready
	if rule != src && !(rule == spec.ReadyAuto && src != "log") {
		return
	}
	in.becomeReady(src, "ready ("+src+")")
}

// becomeReady moves a starting instance online, by via (ipc, notify,
// log or min_uptime), and starts the watchdog when there is one.
func (in *instance) becomeReady(via, reason string) {
	r := in.r
	if via != "probe" && !r.readinessHolds() {
		// The app says it is ready; its readiness probe must agree.
		r.readyC, r.pendingReady = nil, via
		return
	}
	if !in.must(in.move(InReady, reason, nil)) {
		return
	}
	r.readyC, r.readyTimeoutC = nil, nil
	r.readyVia = via
	if in.app.Watchdog > 0 && in.sup.notifyPath != "" {
		r.watchdogC = time.After(in.app.Watchdog.D())
	}
}

// channelEnv adds the IPC variables for a child whose channel is fd.
func channelEnv(env []string, app *spec.App, fd int) []string {
	env = setEnv(env, "TEND_IPC_FD", strconv.Itoa(fd))
	if app.IsNode() {
		env = setEnv(env, "NODE_CHANNEL_FD", strconv.Itoa(fd))
		env = setEnv(env, "NODE_CHANNEL_SERIALIZATION_MODE", "json")
	}
	return env
}

// compileReadyLine returns the app's ready_log_line, or nil.
func compileReadyLine(app *spec.App) *regexp.Regexp {
	if app.Ready != spec.ReadyLog || app.ReadyLogLine == "" {
		return nil
	}
	re, _ := regexp.Compile(app.ReadyLogLine) // checked by Validate
	return re
}

// Send delivers a JSON value to what t addresses (tend send).
func (s *Supervisor) Send(t string, data json.RawMessage) error {
	ts, err := s.resolve(t)
	if err != nil {
		return err
	}
	if !json.Valid(data) {
		return fmt.Errorf("%w: the message is not JSON: %.80q; quote a string as '\"text\"'", ErrInvalid, data)
	}
	var errs []error
	for _, in := range allInstances(ts) {
		r := in.live.Load()
		if r == nil || r.conn == nil {
			errs = append(errs, fmt.Errorf("%s:%d has no channel (not running, or ipc: off)", in.name, in.id))
			continue
		}
		if err := r.conn.Send(data); err != nil {
			errs = append(errs, fmt.Errorf("send to %s:%d: %w", in.name, in.id, err))
			continue
		}
		in.ipcOut.Add(1)
	}
	return refused(errors.Join(errs...))
}
