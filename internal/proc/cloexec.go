package proc

import (
	"os"
	"strconv"
	"syscall"
)

// closeOnExecWalk marks every fd above 2 listed in dir close-on-exec.
func closeOnExecWalk(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
