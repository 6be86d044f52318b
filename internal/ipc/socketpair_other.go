//go:build !linux

package ipc

import "syscall"

// socketpair makes a close-on-exec stream pair. Without SOCK_CLOEXEC the
// fds are marked under syscall.ForkLock, as the net package does, so no
// fork sees them unmarked.
func socketpair() ([2]int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return fds, err
	}
	syscall.CloseOnExec(fds[0])
	syscall.CloseOnExec(fds[1])
	return fds, nil
}
