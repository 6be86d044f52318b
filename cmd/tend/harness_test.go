package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// A script's daemon that has ended leaves its pid in daemon.lock, and the
// kernel hands that pid out again (pid_max is 32768 here; a full suite
// forks a hundred processes a second). Cleanup must not signal whatever
// holds the pid now: another script's daemon, stopped mid-request, gave
// that script's CLI `Post "http://tend/v1/apps/web/reload": EOF`.
func TestStopDaemonSparesAProcessThatReusedThePid(t *testing.T) {
	bystander := exec.Command("sleep", "60")
	if err := bystander.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bystander.Process.Kill(); bystander.Wait() })
	home := t.TempDir()
	// The lock of a daemon that ended, its pid now the bystander's.
	if err := os.WriteFile(filepath.Join(home, "daemon.lock"), []byte(strconv.Itoa(bystander.Process.Pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stopDaemon(t, home)
	time.Sleep(100 * time.Millisecond) // a signal sent is delivered by now
	var ws syscall.WaitStatus
	if pid, _ := syscall.Wait4(bystander.Process.Pid, &ws, syscall.WNOHANG, nil); pid != 0 {
		t.Fatalf("cleanup ended the process that holds the pid an ended daemon left in its lock (signal %v)", ws.Signal())
	}
}
