package execshim

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestShimRunsBeforeInit: the test binary, run as the shim with
// LISTEN_FDS set, execs the target from its init with LISTEN_PID its own
// pid (the target keeps it), and never reaches the tests' main: a shell
// printing both pids prints the same number twice.
func TestShimRunsBeforeInit(t *testing.T) {
	cmd := exec.Command(os.Args[0], Arg, "/bin/sh", "sh", "-c", `echo "$LISTEN_PID $$"`)
	cmd.Env = append(os.Environ(), "LISTEN_FDS=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("shim: %v: %s", err, out)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 || f[0] != f[1] {
		t.Fatalf("shim printed %q; want LISTEN_PID equal to the target's pid", out)
	}
	if _, err := strconv.Atoi(f[0]); err != nil {
		t.Fatalf("LISTEN_PID %q", f[0])
	}
	cmd = exec.Command(os.Args[0], Arg, "/nonexistent/prog", "prog")
	cmd.Env = append(os.Environ(), "LISTEN_FDS=0")
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 127 || !strings.Contains(string(out), "tend exec shim: exec /nonexistent/prog: no such file or directory") {
		t.Errorf("a missing target: exit %d, %q; want 127 and the reason", cmd.ProcessState.ExitCode(), out)
	}
}

// BenchmarkShim: an exec through the shim, beside /bin/true direct.
func BenchmarkShim(b *testing.B) {
	env := append(os.Environ(), "LISTEN_FDS=0")
	for b.Loop() {
		cmd := exec.Command(os.Args[0], Arg, "/bin/true", "true")
		cmd.Env = env
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
	_ = time.Now
}
