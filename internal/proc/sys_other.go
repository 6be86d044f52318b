//go:build !linux

package proc

import "syscall"

// setSubreaper is a no-op where the kernel has no subreapers (macOS):
// orphans go to launchd there.
func setSubreaper() error { return nil }

func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: cred}
}

func intoCgroup(*syscall.SysProcAttr, int) {}

func closeOnExecInherited() { closeOnExecWalk("/dev/fd") }
