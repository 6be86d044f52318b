package rawio

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/tend-pm/tend/internal/fdwait"
)

// The runtime's poller asks epoll for a descriptor's output as well as
// its input, and a Unix socket signals output room each time the other
// end reads: a pool's worker reading its next task, a client reading an
// answer. Each of those woke the daemon for nothing, as many wake-ups as
// the answers themselves (strace: 1,112 of 2,089 epoll returns for 1,000
// CPU tasks said only EPOLLOUT). An owned descriptor is left out of the
// runtime's poller: its input is waited for through an epoll of its own
// that asks for input alone (itself in the runtime's poller, which it
// tells only of input), and its output, on the rare write that finds no
// room, through another made for that wait.

// Own takes fd (a pipe or socket) for a Conn that reads and writes it
// outside the runtime's poller. fd is made non-blocking; the Conn closes
// it.
func Own(fd int, name string) (*Conn, error) {
	q, err := own(fd, name, os.ErrClosed)
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return &Conn{c: q, rc: q}, nil
}

// Take moves c's descriptor out of the runtime's poller into a Conn: a
// copy of it is owned, and c is closed (the connection lives on in the
// copy). A closed Conn then says net.ErrClosed.
func Take(c Closer) (*Conn, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd, derr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) {
		var e syscall.Errno
		var r uintptr
		r, _, e = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", e)
		}
		nfd = int(r)
	}); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	c.Close()
	q, err := own(nfd, "taken", net.ErrClosed)
	if err != nil {
		syscall.Close(nfd)
		return nil, err
	}
	return &Conn{c: q, rc: q}, nil
}

// Closer is a connection or file whose descriptor can be taken.
type Closer interface {
	syscall.Conn
	Close() error
}

// owned is a descriptor the runtime's poller does not know. It is the
// Conn's syscall.Conn and its RawConn: Read waits through in, Write
// through an epoll of the output made while it waits.
type owned struct {
	sock      *os.File        // holds the descriptor: closed once no call uses it
	src       syscall.RawConn // sock's, for the descriptor
	in        *os.File        // an epoll of sock's input alone, in the runtime's poller
	inrc      syscall.RawConn
	closedErr error

	wmu sync.Mutex // one write waits for room at a time

	mu     sync.Mutex
	wdl    time.Time         // the writes' deadline
	waits  map[*os.File]bool // the epolls of the waits in progress
	closed bool
}

func own(fd int, name string, closedErr error) (*owned, error) {
	// Blocking while os wraps it, so that os leaves it out of the poller;
	// non-blocking after, for the reads and writes here.
	if err := syscall.SetNonblock(fd, false); err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	sock := os.NewFile(uintptr(fd), name)
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	src, err := sock.SyscallConn()
	if err != nil {
		return nil, err
	}
	q := &owned{sock: sock, src: src, closedErr: closedErr, waits: map[*os.File]bool{}}
	if q.in, err = epollOf(fd, syscall.EPOLLIN|syscall.EPOLLRDHUP, name); err != nil {
		return nil, err
	}
	if q.inrc, err = q.in.SyscallConn(); err != nil {
		q.in.Close()
		return nil, err
	}
	return q, nil
}

// epollOf makes an epoll of fd's events, as a file in the runtime's
// poller: readable when fd has them.
func epollOf(fd int, events uint32, name string) (*os.File, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	ev := syscall.EpollEvent{Events: events, Fd: int32(fd)}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		syscall.Close(ep)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	if err := syscall.SetNonblock(ep, true); err != nil {
		syscall.Close(ep)
		return nil, os.NewSyscallError("fcntl", err)
	}
	return os.NewFile(uintptr(ep), name+" (epoll)"), nil
}

func (q *owned) SyscallConn() (syscall.RawConn, error) { return q, nil }

// Control calls f with the descriptor, which stays open meanwhile.
func (q *owned) Control(f func(fd uintptr)) error { return q.src.Control(f) }

// try calls f with the descriptor, open meanwhile.
func (q *owned) try(f func(fd uintptr) bool) (bool, error) {
	done := false
	err := q.src.Control(func(fd uintptr) { done = f(fd) })
	return done, err
}

// Read calls f with the descriptor until it returns true, waiting for
// input between calls.
func (q *owned) Read(f func(fd uintptr) bool) error {
	return q.tryVia(q.inrc, f)
}

// tryVia calls f with the descriptor until it returns true, waiting on
// rc (an epoll of the descriptor) between calls.
func (q *owned) tryVia(rc syscall.RawConn, f func(fd uintptr) bool) error {
	var cerr error
	err := rc.Read(func(uintptr) bool {
		done, err := q.try(f)
		if cerr = err; err != nil {
			return true
		}
		return done
	})
	return q.err(errors.Join(cerr, err))
}

// wait calls f until it returns true, waiting between calls for events
// through an epoll made for this wait, until dl.
func (q *owned) wait(events uint32, dl time.Time, f func(fd uintptr) bool) error {
	// The epoll is made under Control, for the descriptor to stay the
	// one tried.
	var ep *os.File
	var eerr error
	done, err := q.try(func(fd uintptr) bool {
		if f(fd) {
			return true
		}
		ep, eerr = epollOf(int(fd), events, "wait")
		return false
	})
	if err != nil || done || eerr != nil {
		return q.err(errors.Join(err, eerr))
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		ep.Close()
		return q.closedErr
	}
	q.waits[ep] = true
	ep.SetReadDeadline(dl)
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		delete(q.waits, ep)
		q.mu.Unlock()
		ep.Close()
	}()
	rc, err := ep.SyscallConn()
	if err != nil {
		return err
	}
	return q.tryVia(rc, f)
}

// Write calls f with the descriptor until it returns true, waiting for
// room between calls, until the write deadline.
func (q *owned) Write(f func(fd uintptr) bool) error {
	q.wmu.Lock()
	defer q.wmu.Unlock()
	q.mu.Lock()
	dl := q.wdl
	q.mu.Unlock()
	return q.wait(syscall.EPOLLOUT, dl, f)
}

// err says closed in the words the Conn was made with.
func (q *owned) err(err error) error {
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return q.closedErr
	}
	return err
}

// SetReadDeadline sets the reads' deadline: their waits' through in.
func (q *owned) SetReadDeadline(t time.Time) error { return q.in.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline of the writes from the next on
// (the callers set it before they write).
func (q *owned) SetWriteDeadline(t time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.wdl = t
	return nil
}

// waitReadable waits until a read would not block.
func (q *owned) waitReadable() error {
	return q.err(fdwait.Readable(q.in))
}

// Close closes the descriptor and wakes a read or write waiting on it.
func (q *owned) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return q.closedErr
	}
	q.closed = true
	var waits []*os.File
	for ep := range q.waits {
		waits = append(waits, ep)
	}
	q.mu.Unlock()
	err := errors.Join(q.sock.Close(), q.in.Close())
	for _, ep := range waits {
		ep.Close()
	}
	return err
}

// linger sleeps d with the descriptor out of its input epoll: input that
// comes meanwhile wakes nothing (each would otherwise wake the runtime's
// poller through that epoll, and its writer pay for the wake-up), and is
// there at the next read. The descriptor is back in the epoll before
// linger returns, so a read or wait after it sees what came.
func (q *owned) linger(d time.Duration) {
	if q.inCtl(syscall.EPOLL_CTL_DEL, 0) != nil {
		return // closed, or never added: read and wait as ever
	}
	time.Sleep(d)
	q.inCtl(syscall.EPOLL_CTL_ADD, syscall.EPOLLIN|syscall.EPOLLRDHUP)
}

// inCtl changes the descriptor's place in its input epoll, both held
// open meanwhile, outside the runtime's syscall entry (it cannot block).
func (q *owned) inCtl(op int, events uint32) error {
	var errno syscall.Errno
	err := q.inrc.Control(func(ep uintptr) {
		errno = syscall.ENOENT
		q.src.Control(func(fd uintptr) {
			ev := syscall.EpollEvent{Events: events, Fd: int32(fd)}
			_, _, errno = syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, ep, uintptr(op), fd, uintptr(unsafe.Pointer(&ev)), 0, 0)
		})
	})
	if err != nil {
		return err
	}
	if errno != 0 {
		return os.NewSyscallError("epoll_ctl", errno)
	}
	return nil
}
