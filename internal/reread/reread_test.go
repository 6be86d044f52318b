package reread

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestReadSeesNewContent reads /proc/self/stat twice through one
// descriptor and sees the kernel's text anew each time, and a file longer
// than the first buffer whole.
func TestReadSeesNewContent(t *testing.T) {
	f, err := Open("/proc/self/stat")
	if err != nil {
		if runtime.GOOS == "linux" {
			t.Fatal("Linux has /proc, which the sampler reads:", err)
		}
		t.Skip("no /proc here:", err)
	}
	defer f.Close()
	var first string
	if err := f.Read(func(b []byte) error { first = string(b); return nil }); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first, strconv.Itoa(os.Getpid())+" (") {
		t.Fatalf("read %q", first)
	}
	// Burn CPU until utime (field 14) moves: the second read must see it.
	utime := func(s string) string { return strings.Fields(s[strings.LastIndexByte(s, ')')+2:])[11] }
	for i := 0; ; i++ {
		var now string
		f.Read(func(b []byte) error { now = string(b); return nil })
		if utime(now) != utime(first) {
			break
		}
		if i > 1e8 {
			t.Fatal("utime never moved")
		}
	}

	big := filepath.Join(t.TempDir(), "big")
	want := bytes.Repeat([]byte("0123456789\n"), 1000)
	os.WriteFile(big, want, 0o644)
	g, err := Open(big)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	g.Read(func(b []byte) error { got = bytes.Clone(b); return nil })
	if !bytes.Equal(got, want) {
		t.Errorf("read %d bytes of %d", len(got), len(want))
	}
	g.Close()
	if err := g.Read(func([]byte) error { return nil }); err == nil {
		t.Error("read after close succeeded")
	}
}
