package rawio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/testutil"
)

// socketpair returns an owned end and its peer, as a file.
func ownedPair(t *testing.T) (*Conn, *os.File) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Own(fds[0], "owned")
	if err != nil {
		t.Fatal(err)
	}
	peer := os.NewFile(uintptr(fds[1]), "peer")
	t.Cleanup(func() { c.Close(); peer.Close() })
	return c, peer
}

func fdOf(t *testing.T, c *Conn) int {
	t.Helper()
	fd := -1
	if err := c.rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		t.Fatal(err)
	}
	return fd
}

// The point of Own: no epoll asks for the descriptor's output, so the
// other end's reads wake nothing. The same socket in the runtime's
// poller (New) is asked for it: the check can see the difference.
func TestOwnedIsNotAskedForOutput(t *testing.T) {
	c, peer := ownedPair(t)
	if testutil.AsksForOutput(t, fdOf(t, c)) {
		t.Fatal("an epoll asks for the owned descriptor's output")
	}
	// Reading and writing both ways leaves it so.
	go peer.Write([]byte("ping\n"))
	if _, err := c.Read(make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("pong\n")); err != nil {
		t.Fatal(err)
	}
	if testutil.AsksForOutput(t, fdOf(t, c)) {
		t.Fatal("after a read and a write, an epoll asks for the owned descriptor's output")
	}

	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.SetNonblock(fds[0], true)
	f := os.NewFile(uintptr(fds[0]), "polled")
	defer f.Close()
	defer syscall.Close(fds[1])
	if !testutil.AsksForOutput(t, fds[0]) {
		t.Fatal("the runtime's poller does not ask for a polled socket's output: the check sees nothing")
	}
}

func TestOwnedReadsWaitsAndEOF(t *testing.T) {
	c, peer := ownedPair(t)
	go func() {
		time.Sleep(50 * time.Millisecond)
		peer.Write([]byte("hello"))
		peer.Close()
	}()
	if err := c.WaitReadable(); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "hello" {
		t.Fatalf("read %q, %v; want hello and EOF", b, err)
	}
}

func TestOwnedReadDeadlineAndClose(t *testing.T) {
	c, _ := ownedPair(t)
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := c.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past the deadline: %v; want os.ErrDeadlineExceeded", err)
	}
	c.SetReadDeadline(time.Time{})
	read, wait := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 8))
		read <- err
	}()
	go func() { wait <- c.WaitReadable() }()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	for what, ch := range map[string]chan error{"read": read, "WaitReadable": wait} {
		select {
		case err := <-ch:
			if !errors.Is(err, os.ErrClosed) {
				t.Fatalf("%s when closed: %v; want os.ErrClosed", what, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("a %s waiting when its descriptor closed did not return", what)
		}
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("write when closed: %v; want os.ErrClosed", err)
	}
}

// A write larger than the socket's buffer waits for room (through an
// epoll made for the wait), writes it all, and lets that epoll go.
func TestOwnedWriteAllThroughAFullSocket(t *testing.T) {
	c, peer := ownedPair(t)
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	got := make(chan []byte, 1)
	go func() {
		time.Sleep(50 * time.Millisecond) // the write finds the buffer full first
		b, _ := io.ReadAll(io.LimitReader(peer, int64(len(want))))
		got <- b
	}()
	n, err := c.Write(want)
	if err != nil || n != len(want) {
		t.Fatalf("wrote %d of %d: %v", n, len(want), err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("read back %d bytes, not what was written", len(b))
	}
	if testutil.AsksForOutput(t, fdOf(t, c)) {
		t.Fatal("the epoll of the wait for room outlived the write")
	}
}

// Nobody reads: the write deadline ends the wait, with what was written;
// a Close ends a wait with no deadline.
func TestOwnedWriteDeadlineAndClose(t *testing.T) {
	c, _ := ownedPair(t)
	c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := c.Write(make([]byte, 4<<20))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write nobody reads: %v; want os.ErrDeadlineExceeded", err)
	}
	if n == 0 || n >= 4<<20 {
		t.Fatalf("wrote %d bytes; want the buffer's worth", n)
	}
	c.SetWriteDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Write(make([]byte, 4<<20))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("write waiting when closed: %v; want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a write waiting when its descriptor closed did not return")
	}
}

// A descriptor passed along with the first bytes arrives.
func TestOwnedWriteMsg(t *testing.T) {
	c, peer := ownedPair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := c.WriteMsg([]byte("fd\n"), syscall.UnixRights(int(w.Fd()))); err != nil {
		t.Fatal(err)
	}
	buf, oob := make([]byte, 8), make([]byte, syscall.CmsgSpace(4))
	n, oobn, _, _, err := syscall.Recvmsg(int(peer.Fd()), buf, oob, 0)
	if err != nil || string(buf[:n]) != "fd\n" {
		t.Fatalf("recvmsg: %q, %v", buf[:n], err)
	}
	msgs, _ := syscall.ParseSocketControlMessage(oob[:oobn])
	if len(msgs) != 1 {
		t.Fatalf("%d control messages; want 1", len(msgs))
	}
	fds, _ := syscall.ParseUnixRights(&msgs[0])
	if len(fds) != 1 {
		t.Fatal("no descriptor came")
	}
	got := os.NewFile(uintptr(fds[0]), "passed")
	defer got.Close()
	fmt.Fprint(got, "through the passed pipe")
	got.Close()
	w.Close()
	if b, _ := io.ReadAll(r); string(b) != "through the passed pipe" {
		t.Fatalf("read %q from the pipe", b)
	}
}

// Take moves a connection out of the runtime's poller: the connection
// goes on (the other end sees no close), nothing asks for its output,
// and a closed Conn says net.ErrClosed.
func TestTakeConnection(t *testing.T) {
	c, other := takenPair(t, Take)
	if _, err := c.Write([]byte("after the take\n")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	other.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := other.Read(b); err != nil || string(b[:n]) != "after the take\n" {
		t.Fatalf("the other end read %q, %v", b[:n], err)
	}
	other.Write([]byte("back"))
	if n, err := c.Read(b); err != nil || string(b[:n]) != "back" {
		t.Fatalf("read %q, %v", b[:n], err)
	}
	if testutil.AsksForOutput(t, fdOf(t, c)) {
		t.Fatal("an epoll asks for the taken connection's output")
	}
	c.Close()
	if _, err := c.Read(b); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read when closed: %v; want net.ErrClosed", err)
	}
}

// takenPair is a Conn made by take over a Unix connection, and the
// connection's other end.
func takenPair(t *testing.T, take func(Closer) (*Conn, error)) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("unix", t.TempDir()+"/s")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	conn, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := take(conn.(*net.UnixConn))
	if err != nil {
		t.Fatal(err)
	}
	other := <-accepted
	t.Cleanup(func() { c.Close(); other.Close() })
	return c, other
}

// While a reader lingers, no epoll asks for its descriptor at all: the
// writer's writes meanwhile wake nothing, and are read after. Before and
// after, its input epoll asks for input.
func TestLingerLeavesNoEpollAsking(t *testing.T) {
	c, peer := ownedPair(t)
	fd := fdOf(t, c)
	if testutil.EpollAsks(t, fd)&syscall.EPOLLIN == 0 {
		t.Fatal("no epoll asks for the owned descriptor's input before the linger: the check sees nothing")
	}
	lingered := make(chan time.Duration, 1)
	start := time.Now()
	go func() { c.Linger(300 * time.Millisecond); lingered <- time.Since(start) }()
	for testutil.EpollAsks(t, fd) != 0 {
		if time.Since(start) > 250*time.Millisecond {
			t.Fatalf("an epoll still asks for the descriptor while it lingers (%#x)", testutil.EpollAsks(t, fd))
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := peer.Write([]byte("meanwhile")); err != nil {
		t.Fatal(err)
	}
	if testutil.EpollAsks(t, fd) != 0 {
		t.Fatal("a write during the linger put the descriptor back in an epoll")
	}
	if d := <-lingered; d < 300*time.Millisecond {
		t.Fatalf("Linger returned after %s, want 300ms", d)
	}
	if testutil.EpollAsks(t, fd)&syscall.EPOLLIN == 0 {
		t.Fatal("after the linger, no epoll asks for the descriptor's input: a reader would never be woken")
	}
	// What came meanwhile is there at once, for the wait and the read.
	waited := time.Now()
	if err := c.WaitReadable(); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 32)
	n, err := c.Read(b)
	if err != nil || string(b[:n]) != "meanwhile" {
		t.Fatalf("read %q, %v", b[:n], err)
	}
	if d := time.Since(waited); d > 100*time.Millisecond {
		t.Fatalf("the input written during the linger took %s to be seen", d)
	}
	// And the next input wakes a waiting reader, as ever.
	go func() { time.Sleep(50 * time.Millisecond); peer.Write([]byte("later")) }()
	if n, err := c.Read(b); err != nil || string(b[:n]) != "later" {
		t.Fatalf("read %q, %v", b[:n], err)
	}
}

// A Close during a linger: the linger ends in its time, and the reader
// then says closed; a linger of a closed Conn returns at once.
func TestLingerAndClose(t *testing.T) {
	c, _ := ownedPair(t)
	done := make(chan struct{})
	go func() { c.Linger(100 * time.Millisecond); close(done) }()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Linger did not return after a Close")
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("read after close: %v, want os.ErrClosed", err)
	}
	start := time.Now()
	c.Linger(time.Second)
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("a closed Conn lingered %s", d)
	}
}
