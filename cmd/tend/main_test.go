package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tend-pm/tend/internal/buildinfo"
	"github.com/tend-pm/tend/internal/cgroup"
	"github.com/tend-pm/tend/internal/cli"
	"github.com/tend-pm/tend/internal/testutil"
)

func TestMain(m *testing.M) {
	testutil.RunHelperIfAsked()
	testscript.Main(m, map[string]func(){
		"tend": func() {
			buildinfo.AllowTestBuild() // build_mismatch.txtar plays an old daemon
			os.Exit(cli.Main(os.Args[1:], hooks))
		},
		"helper": func() { testutil.RunHelper(os.Args[1:]) },
	})
}

// cgroupsWork says whether this host has a writable cgroup v2, as the
// daemon will find it. It and goEnv are asked for on first use, in the
// test process: this binary is also every script's `tend`, and work done
// at its start is paid by every command of every script (go env, run
// three times there, cost each command about a second under -race).
var cgroupsWork = sync.OnceValue(func() bool {
	r, err := cgroup.Open("tend-test-probe")
	if err != nil {
		return false
	}
	os.Remove(r.Dir)
	return true
})

// goEnv is the go command's cache locations, for scripts that build.
var goEnv = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		if v, err := exec.Command("go", "env", k).Output(); err == nil {
			out[k] = strings.TrimSpace(string(v))
		}
	}
	return out
})

func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, "testdata/script", nil))
}

// treeScripts are the scripts about whole process trees; they run again
// with cgroups off, so the fallback (process group, /proc, the subreaper)
// is held to the same claims. On a host without a writable cgroup v2 both
// runs take the fallback.
var treeScripts = []string{"escape.txtar", "persist.txtar", "stop.txtar"}

func TestTreeScriptsWithoutCgroups(t *testing.T) {
	p := scriptParams(t, "", map[string]string{"TEND_CGROUPS": "off"})
	for _, f := range treeScripts {
		p.Files = append(p.Files, filepath.Join("testdata/script", f))
	}
	testscript.Run(t, p)
}

// scriptParams are the testscript parameters of tend's scripts in dir,
// with env set in each.
func scriptParams(t *testing.T, dir string, env map[string]string) testscript.Params {
	return testscript.Params{
		Dir: dir,
		Setup: func(e *testscript.Env) error {
			for k, v := range env {
				e.Setenv(k, v)
			}
			home := filepath.Join(e.WorkDir, "home")
			e.Setenv("TEND_HOME", home)
			// Every tend of a script is this binary: built with -race, each
			// run would sleep a second at exit (the race runtime's
			// atexit_sleep_ms), which is most of a CLI call's time there.
			e.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			repo, err := filepath.Abs("../..")
			if err != nil {
				return err
			}
			e.Setenv("REPO", repo)
			// npm packages the scripts use (Express), installed by .ci/run.
			if p := os.Getenv("TEND_TEST_NODE_PATH"); p != "" {
				e.Setenv("NODE_PATH", p)
			}
			// Scripts that build an example share the caller's Go caches.
			for k, v := range goEnv() {
				e.Setenv(k, v)
			}
			e.Defer(func() {
				if f, ok := e.T().(interface{ Failed() bool }); ok && f.Failed() {
					logDaemonReport(e.T(), home)
				}
				// A dashboard a script left in tmux (monit.txtar) goes
				// first: it could hold the daemon's socket busy.
				if sock := filepath.Join(e.WorkDir, "tmux.sock"); fileExists(sock) {
					exec.Command("tmux", "-S", sock, "kill-server").Run()
				}
				stopDaemon(t, home)
			})
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfor":      waitFor,
			"alive":        alive,
			"nozombie":     noZombie,
			"exits":        exits,
			"gone":         gone,
			"killdaemon":   killDaemon,
			"countapp":     countApp,
			"killppid":     killPPid,
			"killtend":     killTend,
			"mode":         fileMode,
			"signaldaemon": signalDaemon,
			"ticks":        ticks,
			"repeat":       repeat,
			"underload":    underload,
			"listenport":   listenPort,
			"wrkclean":     wrkClean,
			"pids":         pids,
			"freeport":     freePort,
			"replace":      replace,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "user:tendtest":
				_, err := user.Lookup("tendtest")
				return err == nil, nil
			case "express": // Express from npm, where TEND_TEST_NODE_PATH says
				p := os.Getenv("TEND_TEST_NODE_PATH")
				ok := p != "" && exec.Command("env", "NODE_PATH="+p, "node", "-e", "require.resolve('express')").Run() == nil
				if !ok && os.Getenv("CI") != "" {
					return false, errors.New("express is not installed where TEND_TEST_NODE_PATH says: .ci/run installs it")
				}
				return ok, nil
			case "systemd": // systemd is the init (sd_booted)
				fi, err := os.Stat("/run/systemd/system")
				return err == nil && fi.IsDir(), nil
			case "cgroups":
				// Whether the daemons of this run give each run a cgroup.
				return env["TEND_CGROUPS"] != "off" && cgroupsWork(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	}
}

// logDaemonReport logs the end of a failed script's daemon.log and any
// daemon.crash, so that a daemon that panicked or crashed says so in the
// test's output, not only in a work directory removed after it.
func logDaemonReport(t testscript.T, home string) {
	for _, name := range []string{"daemon.log", "daemon.crash"} {
		b, err := os.ReadFile(filepath.Join(home, name))
		if err != nil || len(b) == 0 {
			continue
		}
		if len(b) > 8<<10 {
			b = b[len(b)-8<<10:]
		}
		t.Log(fmt.Sprintf("the end of %s:\n%s", name, b))
	}
}

// stopDaemon ends a daemon a script left running: SIGTERM, then SIGKILL.
// Its apps die with it (Pdeathsig), so nothing outlives the test. The
// daemon is found by its lock file and, should that not name it, by
// TEND_HOME in its environment: twice a failed -race run of
// zerodowntime.txtar left a daemon and its apps running, its lock
// naming it, and never saw SIGTERM.
func stopDaemon(t *testing.T, home string) {
	// Only what /proc says is this home's daemon: the lock keeps the pid
	// of a daemon that has ended (see scriptDaemon).
	pids := daemonsOf(home)
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("daemon %d ignored SIGTERM for 15s; killing it", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// daemonsOf lists the running `tend daemon run` processes whose
// TEND_HOME is home.
func daemonsOf(home string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && isDaemonOf(pid, home) {
			out = append(out, pid)
		}
	}
	return out
}

// isDaemonOf reports whether pid is a `tend daemon run` whose TEND_HOME
// is home.
func isDaemonOf(pid int, home string) bool {
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmd), "\x00daemon\x00run\x00") {
		return false
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	return err == nil && slices.Contains(strings.Split(string(env), "\x00"), "TEND_HOME="+home)
}

// scriptDaemon is the pid of the script's daemon: the one its lock
// names, once /proc says that pid is a daemon of its TEND_HOME. A daemon
// that has ended leaves its pid in the lock, and this machine's pid_max
// is 32768: a full suite forks about a hundred processes a second, so
// within minutes that pid is another process's, another script's daemon
// or app or wrk, which a signal sent by the lock alone would hit.
func scriptDaemon(ts *testscript.TestScript) int {
	home := ts.Getenv("TEND_HOME")
	b, err := os.ReadFile(filepath.Join(home, "daemon.lock"))
	ts.Check(err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	ts.Check(err)
	if !isDaemonOf(pid, home) {
		ts.Fatalf("daemon.lock names pid %d, which is not a running daemon of %s (that daemon ended; its pid may be another process's now)", pid, home)
	}
	return pid
}

// waitfor DURATION REGEXP CMD ARGS...: run the command until its stdout
// matches, or fail after DURATION. With !, until it stops matching.
func waitFor(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: waitfor DURATION REGEXP CMD ARGS...")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	path, err := lookPath(ts, args[2])
	ts.Check(err)
	deadline := time.Now().Add(d)
	var out []byte
	for {
		cmd := exec.Command(path, args[3:]...)
		cmd.Dir = ts.Getenv("WORK")
		cmd.Env = scriptEnv(ts)
		out, _ = cmd.Output()
		if re.Match(out) != neg {
			ts.Logf("waitfor: matched after %s", d-time.Until(deadline))
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfor: %q %s matched %s within %s; last output:\n%s", args[1], map[bool]string{false: "never", true: "still"}[neg], strings.Join(args[2:], " "), d, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive PIDFILE: the process whose pid is in the file exists (not a zombie).
func alive(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: alive PIDFILE")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		ts.Check(err)
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		isAlive := err == nil && !bytes.Contains(st, []byte(") Z "))
		if isAlive == neg {
			ts.Fatalf("pid %d alive=%v, want %v", pid, isAlive, !neg)
		}
	}
}

// nozombie: no zombie process is a child of the daemon.
func noZombie(ts *testscript.TestScript, neg bool, args []string) {
	daemon := strconv.Itoa(scriptDaemon(ts))
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		st, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(st, ')')
		f := strings.Fields(string(st[i+2:]))
		if len(f) > 1 && f[0] == "Z" && f[1] == daemon {
			ts.Fatalf("zombie pid %s under daemon %s", e.Name(), daemon)
		}
	}
}

func scriptEnv(ts *testscript.TestScript) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TEND_HOME", "WORK", "TMPDIR", "TEND_TEST_BUILD", "GORACE"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	return env
}

func lookPath(ts *testscript.TestScript, name string) (string, error) {
	for _, d := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in the script's PATH", name)
}

// exits CODE CMD ARGS...: run the command; its exit code must be CODE.
// Its stdout and stderr become the script's.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: exits CODE CMD ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// gone PIDFILE: every pid in the file ends within 5s.
func gone(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: gone PIDFILE")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	deadline := time.Now().Add(5 * time.Second)
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		ts.Check(err)
		for processAlive(pid) {
			if time.Now().After(deadline) {
				ts.Fatalf("pid %d still alive after 5s", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func processAlive(pid int) bool {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if !bytes.Contains(st, []byte(") Z ")) {
		return true
	}
	// A process's first thread is a zombie while its others still
	// exit, and they hold its files: a killed daemon's socket still took
	// a connection then, and reset it (pool.txtar, "connection reset by
	// peer"). Gone once the zombie is alone.
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	return err == nil && len(tasks) > 1
}

// killdaemon: SIGKILL the daemon and wait until it is gone.
func killDaemon(ts *testscript.TestScript, neg bool, args []string) {
	pid := scriptDaemon(ts)
	ts.Check(syscall.Kill(pid, syscall.SIGKILL))
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			ts.Fatalf("daemon %d alive 5s after SIGKILL", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countapp [-within D] NAME N: exactly N live processes, anywhere on the
// machine, have TEND_APP=NAME and this script's WORK in their
// environment: the app's whole tree, orphans reparented to PID 1 after a
// kill -9 of the daemon included (every process inherits the caller's
// environment that tend start captured). With -within, wait up to D for
// the count to be N.
func countApp(ts *testscript.TestScript, neg bool, args []string) {
	within := time.Duration(0)
	if len(args) == 4 && args[0] == "-within" {
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		within, args = d, args[2:]
	}
	if len(args) != 2 {
		ts.Fatalf("usage: countapp [-within D] NAME N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	deadline := time.Now().Add(within)
	for {
		n := countTree(args[0], ts.Getenv("WORK"))
		if (n == want) != neg {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%d processes of app %s, want %d", n, args[0], want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countTree counts live processes with TEND_APP=app and WORK=work.
func countTree(app, work string) int {
	markers := [][]byte{[]byte("\x00TEND_APP=" + app + "\x00"), []byte("\x00WORK=" + work + "\x00")}
	n := 0
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !processAlive(pid) {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		env = append([]byte{0}, env...)
		if err == nil && bytes.Contains(env, markers[0]) && bytes.Contains(env, markers[1]) {
			n++
		}
	}
	return n
}

// killppid SIGNAL PIDFILE: send SIGNAL (TERM, INT, HUP…) to the parent of
// the process whose pid is in PIDFILE: how a script signals `tend run`.
func killPPid(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: killppid SIGNAL PIDFILE")
	}
	sig := scriptSignal(ts, args[0])
	b, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	st, err := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/stat")
	ts.Check(err)
	f := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+2:]))
	ppid, err := strconv.Atoi(f[1])
	ts.Check(err)
	if ppid <= 1 {
		ts.Fatalf("killppid: parent pid %d; is the pid from another namespace?", ppid)
	}
	ts.Check(syscall.Kill(ppid, sig))
}

// killtend SIGNAL ARG: send SIGNAL to the tend process whose arguments
// include ARG (an absolute path, so parallel scripts do not meet).
func killTend(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: killtend SIGNAL ARG")
	}
	sig := scriptSignal(ts, args[0])
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		argv := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		if filepath.Base(argv[0]) == "tend" && slices.Contains(argv, args[1]) {
			ts.Check(syscall.Kill(pid, sig))
			return
		}
	}
	ts.Fatalf("killtend: no tend process with argument %s", args[1])
}

func scriptSignal(ts *testscript.TestScript, name string) syscall.Signal {
	sigs := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "HUP": syscall.SIGHUP, "USR1": syscall.SIGUSR1}
	sig, ok := sigs[name]
	if !ok {
		ts.Fatalf("unknown signal %s", name)
	}
	return sig
}

// mode PATH PERM: the file's permission bits are PERM (octal).
func fileMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: mode PATH PERM")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if got := fi.Mode().Perm(); uint64(got) != want {
		ts.Fatalf("%s has mode %#o, want %#o", args[0], got, want)
	}
}

// signaldaemon SIGNAL: send SIGNAL (USR1, HUP, TERM) to the daemon.
func signalDaemon(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: signaldaemon SIGNAL")
	}
	sig := scriptSignal(ts, args[0])
	ts.Check(syscall.Kill(scriptDaemon(ts), sig))
}

// ticks MIN: the last command's stdout holds at least MIN "tick N" lines,
// numbered consecutively: nothing lost, nothing twice.
func ticks(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: ticks MIN")
	}
	least, err := strconv.Atoi(args[0])
	ts.Check(err)
	prev, n := -1, 0
	for _, line := range strings.Split(ts.ReadFile("stdout"), "\n") {
		i := strings.LastIndex(line, "tick ")
		if i < 0 {
			continue
		}
		k, err := strconv.Atoi(line[i+5:])
		ts.Check(err)
		if prev >= 0 && k != prev+1 {
			ts.Fatalf("tick %d follows tick %d", k, prev)
		}
		prev = k
		n++
	}
	if n < least {
		ts.Fatalf("%d ticks, want at least %d", n, least)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
