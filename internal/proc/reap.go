package proc

import (
	"os"
	"os/signal"
	"syscall"
)

// reapLoop is the one caller of wait4(-1): it reaps every child of this
// process, ours and reparented orphans alike, whenever SIGCHLD arrives.
func (s *Spawner) reapLoop(sigc chan os.Signal) {
	defer s.wg.Done()
	defer signal.Stop(sigc)
	for {
		s.reapAll()
		select {
		case <-sigc:
		case <-s.stop:
			s.reapAll()
			return
		}
	}
}

func (s *Spawner) reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		s.reaped(pid, ws)
	}
}
