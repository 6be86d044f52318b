package fdwait

import (
	"syscall"
	"unsafe"
)

// pollFd is struct pollfd of poll(2).
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

const pollIn = 0x1 // POLLIN

// ready asks the kernel, without blocking, whether fd has input, a
// hang-up or an error pending: ppoll(2) with a zero timeout, through
// syscall (the package stays on the standard library). It cannot block,
// so it goes outside the runtime's syscall entry, which would wake the
// runtime's monitor thread of a daemon idle until now (see rawio).
func ready(fd int) (bool, error) {
	p := pollFd{fd: int32(fd), events: pollIn}
	var zero syscall.Timespec
	for {
		n, _, errno := syscall.RawSyscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&zero)), 0, 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return false, errno
		}
		return n > 0, nil
	}
}
