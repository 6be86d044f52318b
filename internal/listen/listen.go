// Package listen binds the sockets an app declares (listen:
// tcp://host:port, unix:///path) once, in the daemon, and hands them to
// every instance as inherited fds (systemd's LISTEN_FDS protocol), so the
// instances share one accept queue and the sockets outlive restarts.
// It reports a port in use with the process that holds it.
package listen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/tend-pm/tend/internal/spec"
)

// Socket is one bound address.
type Socket struct {
	Addr string // as declared: tcp://127.0.0.1:3000, unix:///run/app.sock
	// Bound is the address the kernel gave: the port chosen for a
	// declared port 0 (tcp://127.0.0.1:0 → tcp://127.0.0.1:41873).
	Bound string
	// Name goes to LISTEN_FDNAMES (names hold no ':'): tcp-3000,
	// unix-app for unix:///run/app.sock.
	Name string
	// Port is the TCP port, 0 for a unix socket.
	Port int
	// ReusePort is set on a socket bound with SO_REUSEPORT.
	ReusePort bool

	ln   net.Listener
	file *os.File // the fd handed to children; the daemon keeps its own
}

// File is the fd to pass to a child.
func (s *Socket) File() *os.File { return s.file }

// Close releases the socket (and removes a unix socket's file).
func (s *Socket) Close() error {
	err := errors.Join(s.file.Close(), s.ln.Close())
	return err
}

// Parse splits an address into the network and address net.Listen takes
// (spec.ParseListen).
func Parse(addr string) (network, address string, err error) { return spec.ParseListen(addr) }

// Bind binds addr. A TCP port already in use is reported with the pid and
// command of its holder when it can be found.
func Bind(addr string) (*Socket, error) { return bind(addr, false) }

// BindReusePort binds a TCP addr with SO_REUSEPORT, so that several such
// sockets (one per instance, listen_mode: reuseport) share the port and
// the kernel spreads connections between them.
func BindReusePort(addr string) (*Socket, error) { return bind(addr, true) }

func bind(addr string, reusePort bool) (*Socket, error) {
	network, address, err := Parse(addr)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		if reusePort {
			return nil, fmt.Errorf("listen %s: listen_mode reuseport needs a tcp:// address", addr)
		}
		removeStale(address)
	}
	var lc net.ListenConfig
	if reusePort {
		lc.Control = setReusePort
	}
	ln, err := lc.Listen(context.Background(), network, address)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("listen %s: address already in use%s", addr, holder(network, address))
		}
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if l, ok := ln.(*net.UnixListener); ok {
		l.SetUnlinkOnClose(true)
	}
	f, err := childFile(ln.(syscall.Conn), addr)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s := &Socket{Addr: addr, ln: ln, file: f, ReusePort: reusePort}
	s.Bound = addr
	if t, ok := ln.Addr().(*net.TCPAddr); ok {
		s.Port = t.Port
		s.Name = "tcp-" + strconv.Itoa(t.Port)
		s.Bound = WithPort(addr, t.Port)
	} else {
		s.Name = "unix-" + strings.TrimSuffix(filepath.Base(address), filepath.Ext(address))
	}
	return s, nil
}

// childFile is a duplicate of ln's fd for children, as a File whose Fd
// leaves the descriptor's flags alone. (*net.TCPListener).File would do,
// but its Fd puts the descriptor in blocking mode, and the mode belongs to
// the open file description that the daemon and every instance share: at
// each spawn every running instance's socket went blocking until the new
// one set it back, and a Go instance whose accept4 ran meanwhile sat in
// the kernel, its listener's Close waiting on it, so it never finished
// draining and was killed at kill_timeout.
func childFile(ln syscall.Conn, name string) (*os.File, error) {
	rc, err := ln.SyscallConn()
	if err != nil {
		return nil, err
	}
	dup, derr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) { dup, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, fmt.Errorf("dup: %w", derr)
	}
	return os.NewFile(uintptr(dup), name), nil
}

// WithPort is tcp address addr with its port replaced by port.
func WithPort(addr string, port int) string {
	u, err := url.Parse(addr)
	if err != nil {
		return addr
	}
	u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
	return u.String()
}

// removeStale removes a unix socket file nobody answers on.
func removeStale(path string) {
	if fi, err := os.Stat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
		return
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return
	}
	os.Remove(path)
}
