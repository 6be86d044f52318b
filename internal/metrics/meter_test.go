package metrics

import (
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestMeterCountsEndedChildren: a shell that ran a CPU-bound child to
// its end and then waits is measured with the child's CPU time (the
// kernel's cutime of the shell), not only its own near-zero; a member
// that ends drops out of the sum.
func TestMeterCountsEndedChildren(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("cutime is read from /proc")
	}
	// The child burns 300 ms of its own CPU (read from its stat with the
	// shell's builtins: on a loaded machine a burn by the clock got as
	// little as 90 ms), then the shell waits for a sleep (no exec: a
	// process measured mid-exec has no memory yet).
	burn := `while :; do read -r l < /proc/$$/stat; set -- $l; [ $((${14} + ${15})) -ge 30 ] && break; done`
	cmd := exec.Command("sh", "-c", `sh -c '`+burn+`'; echo done; sleep 100`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the cleanup ends the sleep too
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
	var m Meter
	defer m.Close()
	b := make([]byte, 5)
	if _, err := out.Read(b); err != nil {
		t.Fatal(err)
	}
	u := m.Measure([]int{cmd.Process.Pid})
	if u.Procs != 1 || u.Threads < 1 || u.FDs < 3 || u.RSS == 0 {
		t.Errorf("procs %d threads %d fds %d rss %d", u.Procs, u.Threads, u.FDs, u.RSS)
	}
	if u.CPU() < 200*time.Millisecond {
		t.Errorf("tree CPU %v: the ended child's 300ms of CPU is not counted", u.CPU())
	}
	cmd.Process.Kill()
	cmd.Wait()
	if u := m.Measure([]int{cmd.Process.Pid}); u.Procs != 0 || u.CPU() != 0 {
		t.Errorf("a reaped member still counts: %+v", u)
	}
	if len(m.members) != 0 {
		t.Errorf("the meter keeps %d members open after they ended", len(m.members))
	}
}
