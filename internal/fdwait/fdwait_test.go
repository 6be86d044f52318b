package fdwait

import (
	"errors"
	"io"
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

// waitFor runs Readable(r) and returns its result, or fails after d.
func waitFor(t *testing.T, r *os.File, d time.Duration) (error, bool) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- Readable(r) }()
	select {
	case err := <-done:
		return err, true
	case <-time.After(d):
		return nil, false
	}
}

func TestReadableWaitsForData(t *testing.T) {
	r, w := pipe(t)
	done := make(chan error, 1)
	go func() { done <- Readable(r) }()
	select {
	case err := <-done:
		t.Fatalf("returned %v on an empty pipe", err)
	case <-time.After(100 * time.Millisecond):
	}
	w.Write([]byte("x"))
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting after a write")
	}
	// Data already there: at once, every time until it is read.
	for range 3 {
		if err, ok := waitFor(t, r, 5*time.Second); !ok || err != nil {
			t.Fatalf("with a byte waiting: %v, returned %v", err, ok)
		}
	}
	b := make([]byte, 1)
	if n, _ := r.Read(b); n != 1 {
		t.Fatal("the byte is gone")
	}
}

func TestReadableAtEOF(t *testing.T) {
	r, w := pipe(t)
	w.Close()
	if err, ok := waitFor(t, r, 5*time.Second); !ok || err != nil {
		t.Fatalf("after the writer closed: %v, returned %v", err, ok)
	}
	if _, err := r.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read %v, want EOF", err)
	}
}

func TestReadableEndsWhenClosed(t *testing.T) {
	r, _ := pipe(t)
	done := make(chan error, 1)
	go func() { done <- Readable(r) }()
	time.Sleep(50 * time.Millisecond) // let it wait; a close before it only answers sooner
	r.Close()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("after Close: %v, want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting after Close")
	}
}

func TestReadableRefusesAPlainFile(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err, ok := waitFor(t, f, 5*time.Second); !ok || (err != nil && !errors.Is(err, ErrUnsupported)) {
		t.Fatalf("a regular file: %v, returned %v", err, ok)
	}
}
