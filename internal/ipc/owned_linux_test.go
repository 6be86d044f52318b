package ipc

import (
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/testutil"
)

// pairWithEnd makes a channel and finds the daemon's end among the
// process's sockets.
func pairWithEnd(t *testing.T) (*Conn, *os.File, int) {
	t.Helper()
	before := map[int]bool{}
	for _, fd := range testutil.Sockets(t) {
		before[fd] = true
	}
	c, child, err := Pair(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); child.Close() })
	var ends []int
	for _, fd := range testutil.Sockets(t) {
		if !before[fd] && fd != int(child.Fd()) {
			ends = append(ends, fd)
		}
	}
	if len(ends) != 1 {
		t.Fatalf("%d new sockets besides the child's end; want the daemon's end alone", len(ends))
	}
	return c, child, ends[0]
}

// The daemon's end of a channel is owned (rawio.Own): no epoll asks for
// its output, so the child's read of each message (a pool's next task)
// wakes nothing in the daemon. In the runtime's poller, each did.
func TestChannelEndIsNotAskedForOutput(t *testing.T) {
	c, child, end := pairWithEnd(t)
	if err := c.SendLine([]byte(`{"type":"task","id":"1","data":1}`)); err != nil {
		t.Fatal(err)
	}
	if n, err := child.Read(make([]byte, 256)); err != nil || n == 0 {
		t.Fatalf("the child read %d bytes: %v", n, err)
	}
	if testutil.AsksForOutput(t, end) {
		t.Fatal("an epoll asks for the daemon's end of the channel's output: each read of the child wakes the daemon")
	}
}

// What idle returns is how long the reader lets messages gather: those
// the child writes meanwhile wake nothing (no epoll knows the daemon's
// end) and are read together after it.
func TestReaderLingersAsIdleSays(t *testing.T) {
	c, child, end := pairWithEnd(t)
	got := make(chan time.Time, 10)
	var read, lingers atomic.Int32
	go c.Read(func(Message) { read.Add(1); got <- time.Now() }, func(error) {}, func() time.Duration {
		if read.Load() == 1 && lingers.Add(1) == 1 {
			return 300 * time.Millisecond // once, after the first message
		}
		return 0
	})
	write := func(s string) {
		if _, err := child.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	write(`"one"` + "\n")
	start := <-got
	deadline := start.Add(200 * time.Millisecond)
	for testutil.EpollAsks(t, end) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("an epoll asks for the daemon's end while its reader lingers")
		}
		time.Sleep(time.Millisecond)
	}
	write(`"two"` + "\n")
	write(`"three"` + "\n")
	for range 2 {
		select {
		case at := <-got:
			if d := at.Sub(start); d < 250*time.Millisecond {
				t.Fatalf("a message written during the linger was read %s after the first, before the linger's end", d)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the messages written during the linger were never read")
		}
	}
	// Back to being woken: the next message is read at once.
	sent := time.Now()
	write(`"four"` + "\n")
	select {
	case at := <-got:
		if d := at.Sub(sent); d > 150*time.Millisecond {
			t.Fatalf("after the linger a message took %s to be read", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the message after the linger was never read")
	}
}
