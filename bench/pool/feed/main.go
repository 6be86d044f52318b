//go:build linux

// Command feed is one Node worker (examples/pool/worker.js) fed fib(25)
// tasks over its channel by a Go parent, no tend between: what the
// worker's CPU a task is when its reader is woken by each answer, and
// when it looks every millisecond instead (no one waits on the socket, so
// the worker's writes wake no one).
//
//	go run ./bench/pool/feed wake|look N INFLIGHT
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 4 || (os.Args[1] != "wake" && os.Args[1] != "look") {
		fmt.Fprintln(os.Stderr, "usage: feed wake|look N INFLIGHT")
		os.Exit(2)
	}
	look := os.Args[1] == "look"
	n, _ := strconv.Atoi(os.Args[2])
	k, _ := strconv.Atoi(os.Args[3])
	runtime.LockOSThread() // one thread, blocking or sleeping in plain syscalls
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		panic(err)
	}
	child := os.NewFile(uintptr(fds[1]), "child")
	cmd := exec.Command("node", "examples/pool/worker.js")
	cmd.Env = append(os.Environ(), "NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json")
	cmd.ExtraFiles = []*os.File{child}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	child.Close()
	defer cmd.Process.Kill()
	fd := fds[0]
	buf := make([]byte, 64<<10)
	var acc []byte
	// lines reads what is there (all of it when looking, until a line
	// when woken) and counts the whole lines.
	lines := func(look bool) int {
		got := 0
		for {
			nr, err := syscall.Read(fd, buf)
			if err == syscall.EAGAIN {
				return got
			}
			if nr <= 0 {
				panic(fmt.Sprint("channel: ", err))
			}
			acc = append(acc, buf[:nr]...)
			for i := bytes.IndexByte(acc, '\n'); i >= 0; i = bytes.IndexByte(acc, '\n') {
				acc, got = acc[i+1:], got+1
			}
			if !look && got > 0 {
				return got
			}
		}
	}
	lines(false) // "ready"
	syscall.SetNonblock(fd, look)
	sent := 0
	send := func(c int) {
		var b []byte
		for ; c > 0 && sent < n; c-- {
			sent++
			b = fmt.Appendf(b, `{"type":"task","id":"%d","data":{"n":25}}`+"\n", sent)
		}
		if len(b) > 0 {
			syscall.Write(fd, b)
		}
	}
	u0, s0 := cpu(cmd.Process.Pid)
	start := time.Now()
	send(k)
	for done := 0; done < n; {
		g := lines(look)
		if g == 0 {
			ts := syscall.Timespec{Nsec: int64(time.Millisecond)}
			syscall.Nanosleep(&ts, nil)
			continue
		}
		done += g
		send(g)
	}
	wall := time.Since(start)
	u1, s1 := cpu(cmd.Process.Pid)
	per := func(ticks int) float64 { return float64(ticks) * 1e4 / float64(n) } // 100 ticks a second
	fmt.Printf("%s, %d in flight: %.1f µs a task; the worker's CPU a task %.1f µs user, %.1f µs system\n",
		os.Args[1], k, float64(wall.Microseconds())/float64(n), per(u1-u0), per(s1-s0))
}

// cpu is the process's user and system time so far, in clock ticks.
func cpu(pid int) (user, sys int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	user, _ = strconv.Atoi(f[11])
	sys, _ = strconv.Atoi(f[12])
	return user, sys
}
