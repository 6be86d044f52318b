package supervisor

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

// fillUp writes a file until the file system is full.
func fillUp(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestFullDiskCountsLostLinesAndRecovers: on a full file system (a small
// tmpfs) lines are counted as lost, the other apps' logs go on, and once
// space returns a marker line and an event say how many were lost.
func TestFullDiskCountsLostLinesAndRecovers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.Mkdir(small, 0o700)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", small).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", small).Run() })

	s, st := newSup(t)
	full := helperApp("full", "tick", "full")
	full.OutFile = filepath.Join(small, "full.log")
	ok := helperApp("fine", "tick", "fine")
	if err := s.Add([]*spec.App{full, ok}, false); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "full's first lines", func() bool {
		b, _ := os.ReadFile(full.OutFile)
		return len(b) > 0
	})
	fillUp(t, filepath.Join(small, "filler"))
	testutil.WaitFor(t, 10*time.Second, "lines counted as lost", func() bool { return state(s, "full").LostLogs > 10 })
	fineOut, _ := s.LogPaths("fine", 0)
	before, _ := os.Stat(fineOut)
	testutil.WaitFor(t, 5*time.Second, "the other app's log to grow", func() bool {
		now, _ := os.Stat(fineOut)
		return now.Size() > before.Size()
	})
	os.Remove(filepath.Join(small, "filler"))
	testutil.WaitFor(t, 10*time.Second, "the marker line", func() bool {
		b, _ := os.ReadFile(full.OutFile)
		return strings.Contains(string(b), " lines lost: could not write "+full.OutFile)
	})
	// The marker is a line of its own, even after a torn write (issue 10:
	// "… 5[tend] 53609 lines lost"), and lines continue after it.
	b, _ := os.ReadFile(full.OutFile)
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.Index(line, "[tend]"); i > 0 {
			t.Errorf("the marker is glued to a torn line: %q", line)
		}
	}
	after := string(b)[strings.Index(string(b), "[tend]"):]
	if !strings.Contains(after, "full tick") {
		t.Errorf("no line after the marker:\n%s", after)
	}
	var sawLoss, sawCount bool
	for _, r := range reasons(st, "full") {
		sawLoss = sawLoss || strings.Contains(r, "no space left on device; counting the lines lost")
		sawCount = sawCount || strings.Contains(r, "lines could not be written to "+full.OutFile)
	}
	if !sawLoss || !sawCount {
		t.Errorf("events %q lack the loss and the count", reasons(st, "full"))
	}
	if err := s.Stop("all"); err != nil {
		t.Fatal(err)
	}
}
