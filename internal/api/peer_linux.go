package api

import "golang.org/x/sys/unix"

func peerUID(fd int) (int, error) {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return 0, err
	}
	return int(cred.Uid), nil
}

// maxRSSUnit is the unit of getrusage's ru_maxrss: kilobytes on Linux.
const maxRSSUnit = 1024
