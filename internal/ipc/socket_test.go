package ipc

import (
	"net"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// SendSocket passes the socket in Node's handle framing, in one message,
// and leaves the shared socket non-blocking.
func TestSendSocket(t *testing.T) {
	c, child, err := Pair(true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	defer child.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File() // its own descriptor, blocking once Fd is called
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rc, _ := f.SyscallConn()
	var fd int
	rc.Control(func(p uintptr) { fd = int(p) })
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	if err := c.SendSocket([]byte(`{"cmd":"NODE_TEND_LISTEN","id":1}`), f); err != nil {
		t.Fatal(err)
	}
	buf, oob := make([]byte, 4096), make([]byte, 128)
	n, oobn, _, _, err := syscall.Recvmsg(int(child.Fd()), buf, oob, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"cmd":"NODE_HANDLE","type":"net.Native","msg":{"cmd":"NODE_TEND_LISTEN","id":1}}` + "\n"
	if string(buf[:n]) != want {
		t.Errorf("line %q, want %q", buf[:n], want)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages %v, %v: want one", msgs, err)
	}
	fds, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("rights %v, %v: want one fd", fds, err)
	}
	got := os.NewFile(uintptr(fds[0]), "passed")
	defer got.Close()
	// The passed fd is the listening socket: a connection to it is accepted.
	pl, err := net.FileListener(got)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if a, err := pl.Accept(); err != nil {
		t.Errorf("accept on the passed socket: %v", err)
	} else {
		a.Close()
	}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK == 0 {
		t.Errorf("the shared socket's flags %#x, %v: want it still non-blocking", fl, err)
	}
}
