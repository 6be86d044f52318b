// Package rawio reads and writes non-blocking pipes and sockets without
// the runtime's syscall entry. A read or write of a non-blocking
// descriptor cannot block, so it needs none of what entering a syscall
// does for a blocking one, and one part of that costs a daemon that is
// idle between messages: once every P of the process is idle, the
// runtime's monitor thread (sysmon) sleeps until the next syscall entry
// wakes it, then sleeps 20 µs and looks again. A pool whose answers
// arrive a few hundred µs apart woke it for each, a fifth of the daemon's
// CPU on the lesson's CPU task. Waiting is left to the runtime's poller,
// as os and net do, and so are deadlines. A descriptor given to Own or
// Take is waited for through epolls of its own instead, which ask for
// input alone (own_linux.go says why).
package rawio

import (
	"errors"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/tend-pm/tend/internal/fdwait"
)

// Conn is a non-blocking descriptor, read and written outside the
// runtime's syscall entry.
type Conn struct {
	c  syscall.Conn // the file or connection (New), or an owned descriptor (Own, Take)
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

// TryWrite writes what of p the descriptor takes now, waiting for no
// room: it returns n < len(p) and no error when the descriptor is full.
func (c *Conn) TryWrite(p []byte) (int, error) {
	var written int
	var errno syscall.Errno
	err := c.rc.Control(func(fd uintptr) {
		for written < len(p) {
			n, e := write(int(fd), p[written:])
			switch e {
			case 0:
				written += n
			case syscall.EINTR:
			case syscall.EAGAIN:
				return
			default:
				errno = e
				return
			}
		}
	})
	if err != nil {
		return written, c.closed(err)
	}
	if errno != 0 {
		return written, os.NewSyscallError("write", errno)
	}
	return written, nil
}

// WriteMsg writes p with the ancillary data oob (a descriptor passed
// with SCM_RIGHTS) in one sendmsg, waiting for room as Write does; oob
// goes with the first of the n bytes written. It is a rare write, and
// goes through the syscall package.
func (c *Conn) WriteMsg(p, oob []byte) (int, error) {
	var n int
	var serr error
	err := c.rc.Write(func(fd uintptr) bool {
		for {
			n, serr = syscall.SendmsgN(int(fd), p, oob, nil, 0)
			if serr != syscall.EINTR {
				return serr != syscall.EAGAIN
			}
		}
	})
	if err != nil {
		return 0, c.closed(err)
	}
	if serr != nil {
		return n, os.NewSyscallError("sendmsg", serr)
	}
	return n, nil
}

// WaitReadable returns once a read would not block (bytes, the other
// end's close, an error), reading nothing: a reader's buffer need not be
// held while the descriptor is quiet. fdwait.ErrUnsupported means it
// cannot be waited on.
func (c *Conn) WaitReadable() error {
	switch f := c.c.(type) {
	case interface{ waitReadable() error }:
		return f.waitReadable()
	case *os.File:
		return fdwait.Readable(f)
	}
	return fdwait.ErrUnsupported
}

type deadlines interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// SetReadDeadline bounds the reads' waits, as os and net's do.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if d, ok := c.c.(deadlines); ok {
		return d.SetReadDeadline(t)
	}
	return os.ErrNoDeadline
}

// SetWriteDeadline bounds the writes' waits for room.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if d, ok := c.c.(deadlines); ok {
		return d.SetWriteDeadline(t)
	}
	return os.ErrNoDeadline
}

// Close closes the descriptor; a read or write waiting returns closed.
func (c *Conn) Close() error {
	if cl, ok := c.c.(io.Closer); ok {
		return cl.Close()
	}
	return nil
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

// Linger holds off the next read for d, and input that comes meanwhile
// wakes no one: a reader whose writer answers faster than a wake-up an
// answer is worth reads several at once, and the writer's writes cost it
// no wake-up of the reader. Only a descriptor of Own or Take lingers; for
// others Linger returns at once (their reads are woken by the poller,
// which would wake for the input all the same).
func (c *Conn) Linger(d time.Duration) {
	if l, ok := c.c.(interface{ linger(time.Duration) }); ok && d > 0 {
		l.linger(d)
	}
}
