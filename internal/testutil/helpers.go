// Package testutil holds test helpers only: helper programs played by the
// test binary itself, a temporary TEND_HOME, and waiting with a deadline.
package testutil

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// HelperEnv names the variable that turns the test binary into a helper.
const HelperEnv = "TEND_TEST_HELPER"

// helpers are the programs the test binary can play; the first argument
// after the helper name is up to each.
var helpers = map[string]func(args []string){
	// poolworker [PIDFILE]: a task pool's worker (poolworker.go).
	"poolworker": poolWorker,
	// sleep [PIDFILE]: write the pid to PIDFILE, print "ready", block.
	"sleep": func(args []string) {
		if args[0] != "" {
			os.WriteFile(args[0], []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
		}
		fmt.Println("ready")
		block()
	},
	// ignoreterm: ignore SIGTERM, print "ready", block.
	"ignoreterm": func([]string) {
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		block()
	},
	// exit CODE [TEXT]: write TEXT lines to stderr and exit with CODE.
	"exit": func(args []string) {
		for _, a := range args[1:] {
			fmt.Fprintln(os.Stderr, a)
		}
		code, _ := strconv.Atoi(args[0])
		os.Exit(code)
	},
	// echo ARGS: print each arg on stdout, then "err: ARG" on stderr, then block.
	"echo": func(args []string) {
		for _, a := range args {
			fmt.Println(a)
			fmt.Fprintln(os.Stderr, "err: "+a)
		}
		block()
	},
	// env NAME...: print NAME=value for each, then block.
	"env": func(args []string) {
		for _, a := range args {
			fmt.Printf("%s=%s\n", a, os.Getenv(a))
		}
		block()
	},
	// forktree [PIDFILE]: start two sleeping grandchildren, one in a new
	// session, write the three pids to PIDFILE, print "ready", block.
	"forktree": func(args []string) {
		pids := []string{strconv.Itoa(os.Getpid()), spawn(false), spawn(true)}
		if args[0] != "" {
			os.WriteFile(args[0], []byte(strings.Join(pids, " ")+"\n"), 0o644)
		}
		fmt.Println("ready")
		block()
	},
	// trap: print "got SIG…" for each SIGUSR1, SIGUSR2 or SIGHUP; exit 0 on SIGTERM.
	"trap": func([]string) {
		c := make(chan os.Signal, 4)
		signal.Notify(c, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP, syscall.SIGTERM)
		fmt.Println("ready")
		for s := range c {
			if s == syscall.SIGTERM {
				fmt.Println("bye")
				os.Exit(0)
			}
			fmt.Println("got", s)
		}
	},
	// forkexit: start a child that exits soon, then exit 1 at once.
	"forkexit": func([]string) {
		c := helperCmd("exit", "0")
		if err := c.Start(); err != nil {
			os.Exit(3)
		}
		os.Exit(1)
	},
	// lines N: print N numbered lines and exit 0.
	"lines": func(args []string) {
		n, _ := strconv.Atoi(args[0])
		for i := 1; i <= n; i++ {
			fmt.Printf("line %d\n", i)
		}
	},
	// tick [PREFIX]: print "PREFIX tick N" every 5ms, forever.
	"tick": func(args []string) {
		for i := 1; ; i++ {
			fmt.Printf("%s tick %d\n", args[0], i)
			time.Sleep(5 * time.Millisecond)
		}
	},
	// flood: write 100-byte lines to stdout as fast as possible, forever.
	"flood": func([]string) {
		w := bufio.NewWriterSize(os.Stdout, 64<<10)
		line := []byte(strings.Repeat("x", 99) + "\n")
		for {
			w.Write(line)
		}
	},
	// stamps N: print N lines "stamp UNIXNANO", one every 10ms, then exit.
	"stamps": func(args []string) {
		n, _ := strconv.Atoi(args[0])
		for range n {
			fmt.Printf("stamp %d\n", time.Now().UnixNano())
			time.Sleep(10 * time.Millisecond)
		}
	},
	// serve: serve HTTP on the sockets of LISTEN_FDS (systemd's protocol,
	// LISTEN_PID checked as sd_listen_fds checks it), answering
	// "instance N" on each; exit 3 if the variables are wrong.
	"serve": func([]string) {
		n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
		if err != nil || n < 1 || os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
			fmt.Fprintf(os.Stderr, "bad LISTEN_FDS=%q LISTEN_PID=%q (pid %d)\n", os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_PID"), os.Getpid())
			os.Exit(3)
		}
		fmt.Printf("serving %d sockets (%s), PORT=%s\n", n, os.Getenv("LISTEN_FDNAMES"), os.Getenv("PORT"))
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "instance %s\n", os.Getenv("TEND_INSTANCE"))
		})
		serveFDs(n, h)
		block()
	},
	// ipcecho: print "ipc read LINE" for each line read from TEND_IPC_FD.
	"ipcecho": func([]string) {
		fd, err := strconv.Atoi(os.Getenv("TEND_IPC_FD"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "no TEND_IPC_FD")
			os.Exit(3)
		}
		sc := bufio.NewScanner(os.NewFile(uintptr(fd), "ipc"))
		for sc.Scan() {
			fmt.Println("ipc read " + sc.Text())
		}
		block()
	},
	// sdserve DELAY [WATCHDOG]: a server written against go-systemd, as
	// an app would be: serve HTTP on activation.Listeners(), answering
	// "instance N pid P"; after DELAY send READY=1 and STATUS= with
	// daemon.SdNotify. WATCHDOG "ping" pings at half of WATCHDOG_USEC;
	// "hang" pings for a second, then stops.
	"sdserve": sdServe,
	// pkgserve: a server written against pkg/tend: HTTP on
	// tend.Listeners(), then Status and Ready; it answers each message
	// with {"got": DATA} and exits 0 on a shutdown message.
	"pkgserve": pkgServe,
	// probeserve: HTTP on LISTEN_FDS with /healthz (200) and /ready (503
	// while $NOT_READY is set) for probes.
	"probeserve": probeServe,
	// alloc MB: allocate MB megabytes, touch every page, print "allocated
	// MB", and block (max_memory_restart, memory_max).
	"alloc": func(args []string) {
		mb, _ := strconv.Atoi(args[0])
		b := make([]byte, mb<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		fmt.Printf("allocated %d\n", mb)
		block()
		runtime.KeepAlive(b)
	},
	// uptime D: stay up for duration D, then exit 1.
	"uptime": func(args []string) {
		d, _ := time.ParseDuration(args[0])
		time.Sleep(d)
		os.Exit(1)
	},
}

func spawn(setsid bool) string {
	c := helperCmd("sleep")
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
	if err := c.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "spawn:", err)
		os.Exit(3)
	}
	return strconv.Itoa(c.Process.Pid)
}

func helperCmd(name string, args ...string) *exec.Cmd {
	self, _ := os.Executable()
	c := exec.Command(self, args...)
	c.Env = append(os.Environ(), HelperEnv+"="+name)
	return c
}

// RunHelper runs the named helper with args and exits. It is how the
// testscript command "helper NAME ARGS..." plays a program.
func RunHelper(args []string) {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: helper NAME [ARGS...]")
		os.Exit(2)
	}
	h, ok := helpers[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown test helper %q\n", args[0])
		os.Exit(2)
	}
	rest := args[1:]
	if len(rest) == 0 {
		rest = []string{""}
	}
	h(rest)
	os.Exit(0)
}

// RunHelperIfAsked runs the helper named by TEND_TEST_HELPER and exits; it
// returns at once when the variable is unset. Call it first in TestMain.
func RunHelperIfAsked() {
	name := os.Getenv(HelperEnv)
	if name == "" {
		return
	}
	h, ok := helpers[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown test helper %q\n", name)
		os.Exit(2)
	}
	args := os.Args[1:]
	if len(args) == 0 {
		args = []string{""}
	}
	h(args)
	os.Exit(0)
}

// HelperArgv returns argv and env entries that run the named helper.
func HelperArgv(name string, args ...string) (argv []string, env string) {
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return append([]string{self}, args...), HelperEnv + "=" + name
}

// block waits until the process is killed. (An empty select would be
// reported as a deadlock when no other goroutine exists.)
func block() {
	for {
		time.Sleep(time.Hour)
	}
}
