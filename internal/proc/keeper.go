package proc

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/tend-pm/tend/internal/cgroup"
)

// KeeperArg marks a keeper invocation: tend KeeperArg PREFIX [CGROUPDIR],
// with fd 3 the read end of a pipe whose write end only the daemon holds.
const KeeperArg = "__tend_keeper"

// StartKeeper starts self as the keeper of the daemon's runs: a small
// process outside every app's tree that waits for the daemon to end,
// however it ends (kill -9 included), and then kills what its apps left:
// every group under cg (when set) and every process marked with prefix.
// Pdeathsig reaches only an app's main process; the keeper reaches the
// rest of its tree at once, not when the next daemon starts.
//
// The returned file is the daemon's end of the pipe: hold it open for the
// daemon's life; it closes when the daemon ends, and that is the sign.
func StartKeeper(self, prefix string, cg *cgroup.Root) (*os.File, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	args := []string{KeeperArg, prefix}
	if cg != nil {
		args = append(args, cg.Dir)
	}
	cmd := exec.Command(self, args...)
	cmd.Args[0] = "tend" // a multi-call binary (the tests') knows its part
	cmd.ExtraFiles = []*os.File{pr}
	// Its own process group, so a kill of the daemon's group spares it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil, fmt.Errorf("start the keeper: %w", err)
	}
	cmd.Process.Release() // the daemon's reaper collects it
	return pw, nil
}

// KeeperMain is the keeper: it returns when the daemon is gone and what
// its apps left is killed.
func KeeperMain(args []string) int {
	if len(args) < 1 || len(args) > 2 {
		fmt.Fprintln(os.Stderr, "tend keeper: want PREFIX [CGROUPDIR]")
		return 2
	}
	// Signals meant for the daemon (a terminal's ^C, a group's SIGTERM)
	// are not for the keeper: it ends when the daemon does.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE)
	pipe := os.NewFile(3, "daemon")
	var b [1]byte
	for {
		if _, err := pipe.Read(b[:]); err != nil {
			break // EOF: the daemon ended
		}
	}
	if len(args) == 2 {
		r := &cgroup.Root{Dir: args[1]}
		if _, err := r.Leftovers(); err != nil {
			fmt.Fprintln(os.Stderr, "tend keeper:", err)
		}
		os.Remove(r.Dir)
	}
	KillMarked(args[0])
	return 0
}
