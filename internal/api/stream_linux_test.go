package api

import (
	"bytes"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

// askedSockets is the socket descriptors of this process some epoll asks
// for output.
func askedSockets(t *testing.T) map[int]bool {
	t.Helper()
	out := map[int]bool{}
	for _, fd := range testutil.Sockets(t) {
		if testutil.AsksForOutput(t, fd) {
			out[fd] = true
		}
	}
	return out
}

// A task stream's connection is taken out of the runtime's poller
// (rawio.Take): no epoll asks for its output, so the client's read of
// each answer wakes nothing in the daemon. Through net/http's
// connection, each did (as many wake-ups as answers).
func TestStreamConnectionIsNotAskedForOutput(t *testing.T) {
	sup, sock := serveSup(t, Limits{}, slog.New(slog.DiscardHandler))
	// Workers that never come online: the stream is taken over all the same.
	if err := sup.Add([]*spec.App{{Name: "p", Script: "/bin/sleep", Args: []string{"1000"}, Pool: &spec.Pool{}}}, false); err != nil {
		t.Fatal(err)
	}
	before := askedSockets(t)

	// The client is a bare socket, outside the runtime's poller too.
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	tv := syscall.NsecToTimeval(int64(10 * time.Second))
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: sock}); err != nil {
		t.Fatal(err)
	}
	if _, err := syscall.Write(fd, []byte("POST /v1/pools/p/tasks/stream HTTP/1.1\r\nHost: tend\r\nTransfer-Encoding: chunked\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	var head []byte
	for !bytes.Contains(head, []byte("\r\n\r\n")) {
		b := make([]byte, 4096)
		n, err := syscall.Read(fd, b)
		if err != nil || n == 0 {
			t.Fatalf("reading the stream's head: %q, %v", head, err)
		}
		head = append(head, b[:n]...)
	}
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 200")) {
		t.Fatalf("the stream answered %q", head)
	}
	for fd := range askedSockets(t) {
		if !before[fd] {
			t.Fatalf("an epoll asks for the output of socket %d, new with the stream: the client's reads wake the daemon", fd)
		}
	}
	// The body ends with no task; so does the answer.
	syscall.Write(fd, []byte("0\r\n\r\n"))
	var rest []byte
	for {
		b := make([]byte, 4096)
		n, err := syscall.Read(fd, b)
		if err != nil || n == 0 {
			break
		}
		rest = append(rest, b[:n]...)
	}
	if !bytes.HasSuffix(append(head, rest...), []byte("0\r\n\r\n")) {
		t.Fatalf("the stream did not end with the last chunk: %q", append(head, rest...))
	}
}
