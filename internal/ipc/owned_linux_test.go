package ipc

import (
	"testing"

	"github.com/tend-pm/tend/internal/testutil"
)

// The daemon's end of a channel is owned (rawio.Own): no epoll asks for
// its output, so the child's read of each message (a pool's next task)
// wakes nothing in the daemon. In the runtime's poller, each did.
func TestChannelEndIsNotAskedForOutput(t *testing.T) {
	before := map[int]bool{}
	for _, fd := range testutil.Sockets(t) {
		before[fd] = true
	}
	c, child, err := Pair(true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	defer child.Close()
	var ends []int
	for _, fd := range testutil.Sockets(t) {
		if !before[fd] && fd != int(child.Fd()) {
			ends = append(ends, fd)
		}
	}
	if len(ends) != 1 {
		t.Fatalf("%d new sockets besides the child's end; want the daemon's end alone", len(ends))
	}
	if err := c.SendLine([]byte(`{"type":"task","id":"1","data":1}`)); err != nil {
		t.Fatal(err)
	}
	if n, err := child.Read(make([]byte, 256)); err != nil || n == 0 {
		t.Fatalf("the child read %d bytes: %v", n, err)
	}
	if testutil.AsksForOutput(t, ends[0]) {
		t.Fatal("an epoll asks for the daemon's end of the channel's output: each read of the child wakes the daemon")
	}
}
