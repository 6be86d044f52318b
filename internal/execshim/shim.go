// Package execshim is the first thing tend runs as a child's shim: tend
// re-executes itself with Arg first, and the shim does what a fork cannot
// beforehand: it sets LISTEN_PID = its own pid (sd_listen_fds and gunicorn
// check it), joins the cgroup v1 groups that hold the run's limits
// (JoinVar), then execve's the target, which keeps the pid (DESIGN §6).
// It imports only package syscall, so that on Linux it can run from its
// init before the rest of tend is initialised (early_linux.go).
package execshim

import "syscall"

// Arg marks a shim invocation: tend Arg PATH ARGV0 ARGS...
const Arg = "__tend_exec_shim"

// JoinVar lists, ':'-separated, the cgroup.procs files the shim writes
// its pid to before the exec, so that no instruction of the app runs
// outside its limits.
const JoinVar = "TEND_CGROUP_JOIN"

// Main runs the shim with args (what follows Arg) and does not return:
// where the early shim cannot run (no /proc), the CLI calls it.
func Main(args []string) {
	if len(args) < 2 {
		fail("want PATH ARGV0 [ARGS...]", "")
	}
	if _, ok := syscall.Getenv("LISTEN_FDS"); ok {
		syscall.Setenv("LISTEN_PID", itoa(syscall.Getpid()))
	}
	if join, ok := syscall.Getenv(JoinVar); ok {
		syscall.Unsetenv(JoinVar)
		for _, p := range split(join) {
			if err := writePid(p); err != nil {
				fail("join the cgroup of the app's limits "+p+": ", err.Error())
			}
		}
	}
	err := syscall.Exec(args[0], args[1:], syscall.Environ())
	fail("exec "+args[0]+": ", err.Error())
}

func writePid(path string) error {
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	_, err = syscall.Write(fd, []byte(itoa(syscall.Getpid())))
	return err
}

func split(s string) []string {
	var out []string
	for s != "" {
		i := 0
		for i < len(s) && s[i] != ':' {
			i++
		}
		if i > 0 {
			out = append(out, s[:i])
		}
		if i == len(s) {
			break
		}
		s = s[i+1:]
	}
	return out
}

func fail(msg, detail string) {
	syscall.Write(2, []byte("tend exec shim: "+msg+detail+"\n"))
	syscall.Exit(127)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
