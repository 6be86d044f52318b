package proc

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// sweepEvery bounds how long the exit of a child that another waiter
// reaped goes unseen when no hint (a SIGCHLD with nothing to reap) came.
const sweepEvery = 10 * time.Second

// reapLoop is the one caller of wait4(-1): it reaps every child of this
// process, ours and reparented orphans alike, whenever SIGCHLD arrives.
// Something else in the process may still take a child's exit status (a
// library's own wait4, os/exec on a pid it was handed); such a child is
// found by a sweep (see sweep) and ends as lost, so that its run ends
// rather than waiting forever.
func (s *Spawner) reapLoop(sigc chan os.Signal) {
	defer s.wg.Done()
	defer signal.Stop(sigc)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-sigc:
			if s.reapAll() == 0 {
				s.sweep() // a SIGCHLD with nothing to reap: another waiter took it
			}
		case <-t.C:
			s.reapAll()
			s.sweep()
		case <-s.stop:
			s.reapAll()
			return
		}
	}
}

// reapAll reaps every child that has ended and returns how many.
func (s *Spawner) reapAll() int {
	n := 0
	for {
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, &ru)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return n
		}
		n++
		s.reaped(pid, ws, cpuOf(&ru))
	}
}

// sweep ends as lost every started child the kernel no longer has: one
// not reaped here (a zombie still answers kill 0) was reaped elsewhere.
// A pid reused since then is taken for the child.
func (s *Spawner) sweep() {
	s.mu.Lock()
	var lost []*Process
	for pid, p := range s.running {
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			delete(s.running, pid)
			lost = append(lost, p)
		}
	}
	s.mu.Unlock()
	for _, p := range lost {
		p.status = Status{Code: -1, Lost: true}
		close(p.done)
	}
}
