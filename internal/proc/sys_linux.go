package proc

import (
	"syscall"

	"golang.org/x/sys/unix"
)

func setSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Setpgid:    true,
		Pdeathsig:  syscall.SIGKILL,
		Credential: cred,
	}
}

// intoCgroup makes the child start in the cgroup open at fd (clone3 with
// CLONE_INTO_CGROUP): it never runs a single instruction outside it.
func intoCgroup(sys *syscall.SysProcAttr, fd int) {
	sys.UseCgroupFD, sys.CgroupFD = true, fd
}

func closeOnExecInherited() {
	// close_range with CLOEXEC needs Linux 5.11; fall back to a walk.
	if unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC) == nil {
		return
	}
	closeOnExecWalk("/proc/self/fd")
}
