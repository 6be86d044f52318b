//go:build linux

// Command hop is the raw limit for a pool's hop to an idle worker: a Go
// parent, no tend between, sends one echo task at a time over the
// worker's channel, idle GAP between tasks, and times each answer. With a
// gap of a few milliseconds (as between two curl runs) it is what waking
// the worker and the parent costs on this machine, before tend adds
// anything.
//
//	hop GAP N WORKER ARGS...   # e.g. hop 3ms 300 node examples/pool/worker.js
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: hop GAP N WORKER ARGS...")
		os.Exit(2)
	}
	gap, err := time.ParseDuration(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "hop: GAP:", err)
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "hop: N must be a positive number")
		os.Exit(2)
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hop:", err)
		os.Exit(1)
	}
	parent, child := os.NewFile(uintptr(fds[0]), "parent"), os.NewFile(uintptr(fds[1]), "child")
	cmd := exec.Command(os.Args[3], os.Args[4:]...)
	cmd.ExtraFiles = []*os.File{child} // fd 3, as tend gives it
	cmd.Env = append(os.Environ(), "NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json", "TEND_IPC_FD=3")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "hop:", err)
		os.Exit(1)
	}
	defer cmd.Process.Kill()
	child.Close()
	br := bufio.NewReader(parent)
	if _, err := br.ReadString('\n'); err != nil { // the worker's "ready"
		fmt.Fprintln(os.Stderr, "hop: the worker said nothing:", err)
		os.Exit(1)
	}
	took := make([]time.Duration, n)
	for i := range n {
		time.Sleep(gap)
		start := time.Now()
		fmt.Fprintf(parent, "{\"type\":\"task\",\"id\":\"t%d\",\"data\":{\"echo\":1}}\n", i)
		if _, err := br.ReadString('\n'); err != nil {
			fmt.Fprintln(os.Stderr, "hop: no answer:", err)
			os.Exit(1)
		}
		took[i] = time.Since(start)
	}
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	fmt.Printf("median %.3f ms, p90 %.3f ms over %d tasks\n", ms(took[n/2]), ms(took[n*9/10]), n)
}
