package ipc

import "syscall"

// socketpair makes a stream pair that is close-on-exec from birth: marked
// afterwards, a start on another goroutine in between would hand both ends
// to an unrelated child, and the channel would never see its own child's
// end close.
func socketpair() ([2]int, error) {
	return syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
}
