package tend

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// The channel is read and written with raw syscalls on Linux: its
// descriptor is non-blocking, so a read or write cannot block, and the
// syscall package's entry for one that might wakes the runtime's monitor
// thread when the program is otherwise idle, as a worker between tasks
// is: a fifth of an echo worker's CPU. Waiting is left to the poller.

type rawReader struct{ rc syscall.RawConn }

// reader reads the channel through its poller, without the syscall
// entry.
func reader() io.Reader {
	if ch.rc == nil {
		return ch.f
	}
	return rawReader{ch.rc}
}

func (r rawReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n uintptr
	var errno syscall.Errno
	err := r.rc.Read(func(fd uintptr) bool {
		for {
			n, _, errno = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			if errno != syscall.EINTR {
				return errno != syscall.EAGAIN
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, os.NewSyscallError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return int(n), nil
}

// writeAll writes all of p on the channel, waiting in the poller while
// it is full.
func writeAll(p []byte) error {
	if ch.rc == nil {
		_, err := ch.f.Write(p)
		return err
	}
	var errno syscall.Errno
	err := ch.rc.Write(func(fd uintptr) bool {
		for len(p) > 0 {
			n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case 0:
				p = p[n:]
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false
			default:
				errno = e
				return true
			}
		}
		return true
	})
	if err == nil && errno != 0 {
		err = os.NewSyscallError("write", errno)
	}
	return err
}
