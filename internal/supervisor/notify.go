package supervisor

import (
	"strconv"
	"time"

	"github.com/tend-pm/tend/internal/notify"
	"github.com/tend-pm/tend/internal/ptable"
)

// register makes r's pid known to the sd_notify socket.
func (s *Supervisor) register(r *run) {
	s.pmu.Lock()
	s.byPid[r.p.Pid] = r
	s.pmu.Unlock()
}

func (s *Supervisor) unregister(r *run) {
	s.pmu.Lock()
	if s.byPid[r.p.Pid] == r {
		delete(s.byPid, r.p.Pid)
	}
	s.pmu.Unlock()
}

// runOf finds the run a pid belongs to: the main process, or a
// descendant of one (an app started through a shell, a forking server).
func (s *Supervisor) runOf(pid int) (*run, bool) {
	for range 16 {
		s.pmu.Lock()
		r, ok := s.byPid[pid]
		s.pmu.Unlock()
		if ok {
			return r, true
		}
		e, err := ptable.Read(pid)
		if err != nil || e.PPid <= 1 {
			return nil, false
		}
		pid = e.PPid
	}
	return nil, false
}

// onNotify turns one sd_notify datagram into signals of its instance.
func (s *Supervisor) onNotify(m notify.Message) {
	r, ok := s.runOf(m.Pid)
	if !ok {
		s.log.Debug("sd_notify from a process tend does not run", "pid", m.Pid)
		return
	}
	sig := func(kind sigKind) appSignal { return appSignal{r: r, kind: kind, from: "notify"} }
	// Status first, so that READY=1 with STATUS= shows both.
	if v, ok := m.Fields["STATUS"]; ok {
		sg := sig(sigStatus)
		sg.text = v
		r.in.tell(sg)
	}
	if v, ok := m.Fields["MAINPID"]; ok {
		sg := sig(sigMainPID)
		sg.pid, _ = strconv.Atoi(v)
		r.in.tell(sg)
	}
	if v, ok := m.Fields["EXTEND_TIMEOUT_USEC"]; ok {
		if us, err := strconv.ParseInt(v, 10, 64); err == nil {
			sg := sig(sigExtend)
			sg.d = time.Duration(us) * time.Microsecond
			r.in.tell(sg)
		}
	}
	if m.Fields["RELOADING"] == "1" {
		r.in.tell(sig(sigReloading))
	}
	if m.Fields["STOPPING"] == "1" {
		r.in.tell(sig(sigStopping))
	}
	switch m.Fields["WATCHDOG"] {
	case "1":
		r.in.tell(sig(sigWatchdog))
	case "trigger":
		sg := sig(sigWatchdog)
		sg.text = "trigger"
		r.in.tell(sg)
	}
	if m.Fields["READY"] == "1" {
		r.in.tell(sig(sigReady))
	}
}
