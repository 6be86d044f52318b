package rawio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

func pipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func wrap(t *testing.T, f *os.File) *Conn {
	t.Helper()
	c, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReadWaitsForDataThenEOF(t *testing.T) {
	r, w := pipe(t)
	c := wrap(t, r)
	go func() {
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte("hello"))
		w.Close()
	}()
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "hello" {
		t.Fatalf("read %q, %v; want hello and EOF", b, err)
	}
}

func TestReadDeadlineAndClose(t *testing.T) {
	r, _ := pipe(t)
	c := wrap(t, r)
	r.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := c.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past the deadline: %v; want os.ErrDeadlineExceeded", err)
	}
	r.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 8))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	r.Close()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("read of a closed file: %v; want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a read waiting when its file closed did not return")
	}
}

// A write larger than the pipe waits for room, and writes it all.
func TestWriteAllThroughAFullPipe(t *testing.T) {
	r, w := pipe(t)
	c := wrap(t, w)
	want := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB, 16 pipes' worth
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for b.Len() < len(want) {
			n, err := r.Read(buf)
			if err != nil {
				break
			}
			b.Write(buf[:n])
		}
		got <- b.Bytes()
	}()
	n, err := c.Write(want)
	if err != nil || n != len(want) {
		t.Fatalf("wrote %d of %d: %v", n, len(want), err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("read back %d bytes, not what was written", len(b))
	}
}

// Nobody reads: the write deadline ends the wait, with what was written.
func TestWriteDeadline(t *testing.T) {
	_, w := pipe(t)
	c := wrap(t, w)
	w.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := c.Write(make([]byte, 1<<20))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write to a pipe nobody reads: %v; want os.ErrDeadlineExceeded", err)
	}
	if n == 0 || n >= 1<<20 {
		t.Fatalf("wrote %d bytes; want the pipe's worth", n)
	}
}

// TryWrite writes what a full pipe takes and returns at once, no error;
// once read, the rest goes.
func TestTryWriteTakesWhatThereIsRoomFor(t *testing.T) {
	r, w := pipe(t)
	c := wrap(t, w)
	p := bytes.Repeat([]byte("x"), 1<<20)
	start := time.Now()
	n, err := c.TryWrite(p)
	if err != nil || n == 0 || n >= len(p) {
		t.Fatalf("TryWrite of 1 MiB to a pipe nobody reads: %d, %v; want the pipe's worth, no error", n, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("TryWrite waited %s", d)
	}
	if m, err := c.TryWrite(p[n:]); m != 0 || err != nil {
		t.Fatalf("TryWrite to the full pipe: %d, %v; want 0, no error", m, err)
	}
	got := make([]byte, 0, len(p))
	buf := make([]byte, 64<<10)
	for len(got) < n {
		k, err := r.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:k]...)
	}
	if m, err := c.TryWrite(p[n:]); m == 0 || err != nil {
		t.Fatalf("TryWrite after the pipe was read: %d, %v; want more, no error", m, err)
	}
	r.Close()
	if _, err := c.TryWrite(p); err == nil {
		t.Fatal("TryWrite to a pipe with no reader: no error")
	}
}

func TestSocket(t *testing.T) {
	ln, err := net.Listen("unix", t.TempDir()+"/s")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("over a socket"))
			c.Close()
		}
	}()
	conn, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(conn.(*net.UnixConn))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "over a socket" {
		t.Fatalf("read %q, %v", got, err)
	}
	conn.Close()
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write to a closed connection: %v; want net.ErrClosed", err)
	}
}
