//go:build !linux

package rawio

import (
	"errors"
	"syscall"
)

// Elsewhere through the syscall package, with its runtime entry.

func read(fd int, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(fd, p)
	return max(n, 0), errnoOf(err)
}

func write(fd int, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(fd, p)
	return max(n, 0), errnoOf(err)
}

func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	if err != nil && !errors.As(err, &e) {
		return syscall.EIO
	}
	return e
}
