package tally

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A child of this test sets a count and waits to be killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("TALLY_TEST_DIR"); dir != "" {
		c, err := Open(dir, "p")
		if err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(2)
		}
		n, _ := strconv.ParseUint(os.Getenv("TALLY_TEST_N"), 10, 64)
		for i := uint64(1); i <= n; i++ {
			c.Set(i) // the last is the one that must be left
		}
		os.Stdout.WriteString("set\n")
		select {}
	}
	os.Exit(m.Run())
}

// What a process killed with SIGKILL set last is the count the next one
// reads: no sync, no exit of its own.
func TestACountOutlivesAKilledProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TALLY_TEST_DIR="+dir, "TALLY_TEST_N=123457")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "set\n" {
		t.Fatalf("the child said %q, %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	left, err := Left(dir)
	if err != nil {
		t.Fatal(err)
	}
	if left["p"] != 123457 || len(left) != 1 {
		t.Fatalf("left %v, want p: 123457", left)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("Left left %d files", len(ents))
	}
}

// Left reports counts over 0 only, reads no other file, says which file
// it cannot read, and removes what it read; Remove leaves nothing.
func TestLeftReadsCountsAndRemovesThem(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, "a")
	if err != nil {
		t.Fatal(err)
	}
	a.Set(7)
	if err := a.Sync(); err != nil {
		t.Fatal(err)
	}
	z, err := Open(dir, "z")
	if err != nil {
		t.Fatal(err)
	}
	z.Set(0)
	gone, err := Open(dir, "gone")
	if err != nil {
		t.Fatal(err)
	}
	gone.Set(9)
	if err := gone.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := gone.Sync(); err != nil {
		t.Fatalf("Sync after Remove: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "short.count"), []byte{1, 2}, 0o600)
	os.WriteFile(filepath.Join(dir, "other"), []byte("12345678"), 0o600)
	left, err := Left(dir)
	if err == nil {
		t.Fatal("no error for a count file of 2 bytes")
	}
	if want := filepath.Join(dir, "short.count"); !strings.Contains(err.Error(), want) {
		t.Fatalf("the error %q does not name %s", err, want)
	}
	if len(left) != 1 || left["a"] != 7 {
		t.Fatalf("left %v, want a: 7 alone", left)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "other" {
		t.Fatalf("files after Left: %v, want other alone", ents)
	}
	if left, err := Left(filepath.Join(dir, "none")); left != nil || err != nil {
		t.Fatalf("Left of no directory: %v, %v", left, err)
	}
}
