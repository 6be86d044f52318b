// Package rawio reads and writes non-blocking pipes and sockets without
// the runtime's syscall entry. A read or write of a non-blocking
// descriptor cannot block, so it needs none of what entering a syscall
// does for a blocking one, and one part of that costs a daemon that is
// idle between messages: once every P of the process is idle, the
// runtime's monitor thread (sysmon) sleeps until the next syscall entry
// wakes it, then sleeps 20 µs and looks again. A pool whose answers
// arrive a few hundred µs apart woke it for each, a fifth of the daemon's
// CPU on the lesson's CPU task. Waiting is left to the runtime's poller,
// as os and net do, and so are deadlines.
package rawio

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// Conn is a non-blocking descriptor, read and written outside the
// runtime's syscall entry.
type Conn struct {
	c  syscall.Conn
	rc syscall.RawConn
}

// New wraps c (an *os.File or a net.Conn whose descriptor is
// non-blocking, as os and net make them when they can poll it).
func New(c syscall.Conn) (*Conn, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &Conn{c: c, rc: rc}, nil
}

// Read reads into p, waiting in the poller while nothing is there. It
// returns io.EOF at the other end's close, os.ErrDeadlineExceeded past
// the read deadline, and os.ErrClosed (net.ErrClosed for a connection)
// once closed.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			n, errno = read(int(fd), p)
			if errno != syscall.EINTR {
				return errno != syscall.EAGAIN
			}
		}
	})
	switch {
	case err != nil:
		return 0, c.closed(err)
	case errno != 0:
		return 0, os.NewSyscallError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p, waiting in the poller while the descriptor is
// full, until the write deadline set on the file or connection.
func (c *Conn) Write(p []byte) (int, error) {
	var written int
	var errno syscall.Errno
	err := c.rc.Write(func(fd uintptr) bool {
		for written < len(p) {
			n, e := write(int(fd), p[written:])
			switch e {
			case 0:
				written += n
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
	if err != nil {
		return written, c.closed(err)
	}
	if errno != 0 {
		return written, os.NewSyscallError("write", errno)
	}
	return written, nil
}

// closed is the poller's err in os's words: a file's poller says closed
// with an error os does not export (os's own Read translates it).
func (c *Conn) closed(err error) error {
	if f, ok := c.c.(*os.File); ok && !errors.Is(err, os.ErrDeadlineExceeded) {
		if _, serr := f.Stat(); errors.Is(serr, os.ErrClosed) {
			return serr
		}
	}
	return err
}
