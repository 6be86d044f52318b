// Package execshim is the first thing tend runs as a child's shim: tend
// re-executes itself with Arg first, and the shim sets what a fork cannot
// know beforehand, LISTEN_PID = its own pid (sd_listen_fds and gunicorn
// check it), then execve's the target, which keeps the pid (DESIGN §6).
// It imports only the standard library and does nothing else.
package execshim

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// Arg marks a shim invocation: tend Arg PATH ARGV0 ARGS...
const Arg = "__tend_exec_shim"

// Main runs the shim with args (what follows Arg) and does not return.
func Main(args []string) {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "tend exec shim: want PATH ARGV0 [ARGS...]")
		os.Exit(127)
	}
	os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	err := syscall.Exec(args[0], args[1:], os.Environ())
	fmt.Fprintf(os.Stderr, "tend exec shim: exec %s: %v\n", args[0], err)
	os.Exit(127)
}
