//go:build !linux

package rawio

import (
	"os"
	"syscall"
)

// Elsewhere than Linux an owned descriptor is an ordinary pollable file
// or connection: the wake-ups Own spares are Linux's (see own_linux.go).

// Own takes fd (a pipe or socket) for a Conn; fd is made non-blocking
// and the Conn closes it.
func Own(fd int, name string) (*Conn, error) {
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(fd), name)
	c, err := New(f)
	if err != nil {
		f.Close()
	}
	return c, err
}

// Closer is a connection or file whose descriptor can be taken.
type Closer interface {
	syscall.Conn
	Close() error
}

// Take makes c a Conn; c is closed with it.
func Take(c Closer) (*Conn, error) { return New(c) }
