// Package fdwait waits until a pipe or socket has something to read (data,
// or its end) without a read buffer held meanwhile: a thousand quiet
// instances, each with output pipes and an IPC channel, then hold no
// buffer at all while they are quiet. It reads nothing itself.
package fdwait

import (
	"errors"
	"os"
)

// ErrUnsupported means f cannot be waited on (not pollable): read it
// with a buffer of its own instead.
var ErrUnsupported = errors.New("fdwait: not a pollable file")

// Readable returns once a read of f would not block: there are bytes to
// read, the other end is closed, or f is in error. It returns os.ErrClosed
// (wrapped) once f is closed.
func Readable(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var perr error
	err = rc.Read(func(fd uintptr) bool {
		var ok bool
		ok, perr = ready(int(fd))
		return ok || perr != nil
	})
	if errors.Is(perr, ErrUnsupported) {
		return perr
	}
	if err != nil {
		// The poller's errors are not exported; Stat tells the two
		// apart in os's words: closed, or no poller for f.
		if _, serr := f.Stat(); errors.Is(serr, os.ErrClosed) {
			return serr
		}
		return ErrUnsupported
	}
	return perr
}
