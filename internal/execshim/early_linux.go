package execshim

import "syscall"

// init is the shim on Linux, run before the packages tend links are
// initialised (about 3 ms of regexps, tables, net/http, yaml and
// gopsutil, which an exec of every app with sockets paid): Go initialises
// the first package, by import path, whose imports are initialised, and
// this one needs only syscall, so it runs before os, fmt and all that
// imports them. os.Args is not set yet (package os sets it), so argv is
// read from /proc/self/cmdline, and only when LISTEN_FDS or JoinVar says
// this may be a shim: the daemon sets one before exec'ing the shim, and a
// CLI run without them reads nothing.
func init() {
	_, sockets := syscall.Getenv("LISTEN_FDS")
	_, limits := syscall.Getenv(JoinVar)
	if !sockets && !limits {
		return
	}
	argv := cmdline()
	if len(argv) < 2 || argv[1] != Arg {
		return
	}
	Main(argv[2:])
}

// cmdline is this process's argv, from /proc/self/cmdline.
func cmdline() []string {
	fd, err := syscall.Open("/proc/self/cmdline", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	var b []byte
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(fd, buf)
		if n > 0 {
			b = append(b, buf[:n]...)
		}
		if n <= 0 || err != nil {
			break
		}
	}
	var out []string
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		out = append(out, string(b[:i]))
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return out
}
