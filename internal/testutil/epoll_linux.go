package testutil

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Sockets lists this process's socket descriptors.
func Sockets(t testing.TB) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); strings.HasPrefix(l, "socket:") {
			fd, _ := strconv.Atoi(e.Name())
			out = append(out, fd)
		}
	}
	return out
}

// EpollAsks is what the epolls of this process ask of fd, all their
// interest masks together (0: no epoll knows fd).
func EpollAsks(t testing.TB, fd int) uint32 {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var asks uint32
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l != "anon_inode:[eventpoll]" {
			continue
		}
		b, _ := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		for line := range strings.Lines(string(b)) {
			f := strings.Fields(line)
			if len(f) >= 4 && f[0] == "tfd:" && f[1] == strconv.Itoa(fd) && f[2] == "events:" {
				ev, _ := strconv.ParseUint(f[3], 16, 32)
				asks |= uint32(ev)
			}
		}
	}
	return asks
}

// AsksForOutput reports whether an epoll of this process asks for fd's
// output (EPOLLOUT), as /proc/self/fdinfo lists each epoll's
// descriptors. The runtime's poller asks it of every descriptor it
// waits on; rawio's owned descriptors are asked for input alone.
func AsksForOutput(t testing.TB, fd int) bool {
	t.Helper()
	return EpollAsks(t, fd)&syscall.EPOLLOUT != 0
}
