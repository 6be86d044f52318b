package notify

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// Manager is the daemon's own service manager (systemd, for a unit of
// Type=notify), found by the NOTIFY_SOCKET it was started with; nil when
// there is none. Taking it from the environment also removes it there,
// so that no app of the daemon inherits the manager's socket.
type Manager struct{ addr string }

// FromEnv returns the daemon's service manager, or nil.
func FromEnv() *Manager {
	addr := os.Getenv("NOTIFY_SOCKET")
	os.Unsetenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil
	}
	if strings.HasPrefix(addr, "@") { // an abstract socket (systemd's own)
		addr = "\x00" + addr[1:]
	}
	return &Manager{addr: addr}
}

// Tell sends one datagram of assignments ("READY=1", "STATUS=…").
func (m *Manager) Tell(assignments ...string) error {
	if m == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: m.addr, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify %s: %w", strings.TrimPrefix(m.addr, "\x00"), err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(strings.Join(assignments, "\n"))); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}
