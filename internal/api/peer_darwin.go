package api

import (
	"os"

	"golang.org/x/sys/unix"
)

func peerUID(fd int) (int, error) {
	cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return 0, err
	}
	return int(cred.Uid), nil
}

// maxRSSUnit is the unit of getrusage's ru_maxrss: bytes on macOS.
const maxRSSUnit = 1

// selfFDs is how many fds the daemon holds open.
func selfFDs() int {
	ents, err := os.ReadDir("/dev/fd")
	if err != nil {
		return 0
	}
	return len(ents)
}

// zombieChildren is not counted on macOS (no /proc).
func zombieChildren() int { return 0 }
