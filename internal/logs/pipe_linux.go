package logs

import (
	"os"

	"golang.org/x/sys/unix"
)

// GrowPipe asks the kernel for a pipe buffer of readSize, so a writer
// that floods blocks less often and Frame reads more per call. It is a
// hint: an unprivileged process is capped at /proc/sys/fs/pipe-max-size.
func GrowPipe(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, readSize) })
	}
}
