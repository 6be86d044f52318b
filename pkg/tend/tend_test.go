package tend

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Under systemd (NOTIFY_SOCKET, no TEND_IPC_FD) Ready, Status and
// Stopping speak sd_notify, and Send says there is no channel.
func TestUnderSystemd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	srv, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("TEND_IPC_FD", "")
	read := func() string {
		buf := make([]byte, 4096)
		srv.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := srv.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	if err := Status("warming up"); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "STATUS=warming up" {
		t.Errorf("Status sent %q", got)
	}
	if err := Ready(); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "READY=1" {
		t.Errorf("Ready sent %q", got)
	}
	Stopping()
	if got := read(); got != "STOPPING=1" {
		t.Errorf("Stopping sent %q", got)
	}
	if err := Send(1); err != ErrNoChannel {
		t.Errorf("Send with no channel: %v", err)
	}
}

// With no manager at all every call is a no-op.
func TestNoManager(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("LISTEN_FDS", "")
	if err := Ready(); err != nil {
		t.Errorf("Ready: %v", err)
	}
	if lns, err := Listeners(); err != nil || lns != nil {
		t.Errorf("Listeners: %v %v", lns, err)
	}
	select {
	case m := <-Messages():
		t.Errorf("a message with no channel: %+v", m)
	case <-time.After(10 * time.Millisecond):
	}
	if _, err := Notify("X=1"); err != nil && !strings.Contains(err.Error(), "notify") {
		t.Error(err)
	}
}
