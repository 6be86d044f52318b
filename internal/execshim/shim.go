// Package execshim is the first thing tend runs as a child's shim: tend
// re-executes itself with Arg first, and the shim sets what a fork cannot
// know beforehand, LISTEN_PID = its own pid (sd_listen_fds and gunicorn
// check it), then execve's the target, which keeps the pid (DESIGN §6).
// It imports only package syscall, so that on Linux it can run from its
// init before the rest of tend is initialised (early_linux.go).
package execshim

import "syscall"

// Arg marks a shim invocation: tend Arg PATH ARGV0 ARGS...
const Arg = "__tend_exec_shim"

// Main runs the shim with args (what follows Arg) and does not return:
// where the early shim cannot run (no /proc), the CLI calls it.
func Main(args []string) {
	if len(args) < 2 {
		fail("want PATH ARGV0 [ARGS...]", "")
	}
	syscall.Setenv("LISTEN_PID", itoa(syscall.Getpid()))
	err := syscall.Exec(args[0], args[1:], syscall.Environ())
	fail("exec "+args[0]+": ", err.Error())
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
