package client

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// startWait bounds how long a CLI waits for a daemon it started.
const startWait = 10 * time.Second

// ensureDaemon starts a daemon unless another CLI just did. CLIs that race
// here serialize on TEND_HOME/start.lock; the first starts the daemon, the
// rest find it answering.
func (c *Client) ensureDaemon() error {
	if err := os.MkdirAll(c.Home, 0o700); err != nil {
		return fmt.Errorf("create TEND_HOME: %w", err)
	}
	lockPath := filepath.Join(c.Home, "start.lock")
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", lockPath, err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", lockPath, err)
	}
	defer unix.Flock(int(f.Fd()), unix.LOCK_UN)
	if c.answers() {
		return nil
	}
	if err := c.Spawn(); err != nil {
		return fmt.Errorf("start the daemon: %w", err)
	}
	deadline := time.Now().Add(startWait)
	for !c.answers() {
		if time.Now().After(deadline) {
			return fmt.Errorf("started a daemon but it did not answer on %s within %s; see %s",
				c.Socket, startWait, filepath.Join(c.Home, "daemon.log"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

func (c *Client) answers() bool {
	resp, err := c.send("GET", "/v1/version", nil)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// SpawnDaemon returns a Spawn function that runs `self daemon run`
// detached: its own session, stdio on /dev/null and the daemon log.
func SpawnDaemon(self, home string) func() error {
	return func() error {
		logf, err := os.OpenFile(filepath.Join(home, "daemon.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		defer logf.Close()
		cmd := exec.Command(self, "daemon", "run")
		cmd.Env = append(withoutKey(os.Environ(), "TEND_HOME"), "TEND_HOME="+home)
		cmd.Dir = "/"
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			return err
		}
		// The daemon outlives us; release it rather than wait for it.
		return cmd.Process.Release()
	}
}

func withoutKey(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// Self returns the path of the running tend, to start a daemon from.
func Self() (string, error) {
	arg0 := os.Args[0]
	if strings.Contains(arg0, "/") {
		return filepath.Abs(arg0)
	}
	if p, err := exec.LookPath(arg0); err == nil {
		return filepath.Abs(p)
	}
	p, err := os.Executable()
	if err != nil {
		return "", errors.New("cannot find the tend executable to start the daemon")
	}
	return p, nil
}
