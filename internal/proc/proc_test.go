package proc

import (
	"bufio"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tend-pm/tend/internal/testutil"
)

func TestMain(m *testing.M) {
	testutil.RunHelperIfAsked()
	goleak.VerifyTestMain(m)
}

func newSpawner(t *testing.T) *Spawner {
	t.Helper()
	s, err := NewSpawner()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// startHelper starts a helper and returns it with a reader of its stdout.
func startHelper(t *testing.T, s *Spawner, name string, args ...string) (*Process, *bufio.Reader) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	argv, env := testutil.HelperArgv(name, args...)
	p, err := s.Start(Spec{Argv: argv, Env: append(os.Environ(), env), Stdout: w})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Signal(syscall.SIGKILL)
		<-p.Done()
		r.Close()
	})
	return p, bufio.NewReader(r)
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read child output: %v", err)
	}
	return strings.TrimSpace(line)
}

func TestStatusOfSignalledChild(t *testing.T) {
	s := newSpawner(t)
	p, out := startHelper(t, s, "sleep")
	if got := readLine(t, out); got != "ready" {
		t.Fatalf("helper said %q, want ready", got)
	}
	if _, err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("child not reaped 5s after SIGTERM")
	}
	if st := p.Status(); st.Code != 143 || st.Signal != syscall.SIGTERM {
		t.Errorf("status = %+v, want code 143 signal SIGTERM", st)
	}
}

// TestInstantExitIsNotMissed starts children that exit at once, many times:
// each exit must reach its owner, since the pid is registered under the
// lock that the reaper takes.
func TestInstantExitIsNotMissed(t *testing.T) {
	s := newSpawner(t)
	for i := range 50 {
		argv, env := testutil.HelperArgv("exit", "7")
		p, err := s.Start(Spec{Argv: argv, Env: append(os.Environ(), env)})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-p.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("run %d: exit not seen", i)
		}
		if st := p.Status(); st.Code != 7 {
			t.Fatalf("run %d: status %+v, want exit 7", i, st)
		}
	}
}

func TestStartErrors(t *testing.T) {
	s := newSpawner(t)
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{Argv: []string{"no-such-program-tend"}, Env: []string{"PATH=/usr/bin:/bin"}},
			`exec: "no-such-program-tend": executable file not found in $PATH`},
		{Spec{Argv: []string{"./missing"}, Dir: t.TempDir()}, `exec: "./missing": stat`},
		{Spec{Argv: []string{"true"}, Env: []string{"PATH=/usr/bin:/bin"}, Dir: "/no/such/dir"}, "cwd: stat /no/such/dir"},
		{Spec{}, "empty command"},
	}
	for _, tt := range tests {
		_, err := s.Start(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Start(%v) = %v, want error containing %q", tt.spec.Argv, err, tt.want)
		}
	}
}

// TestSignalReachesWholeTree: a child with two grandchildren, one of them
// in its own session (outside the group), is ended entirely.
func TestSignalReachesWholeTree(t *testing.T) {
	s := newSpawner(t)
	p, out := startHelper(t, s, "forktree")
	readLine(t, out)
	var members []int
	testutil.WaitFor(t, 5*time.Second, "3 processes in the tree", func() bool {
		rest, err := p.Remaining()
		if err != nil {
			t.Fatal(err)
		}
		members = rest
		return len(rest) == 2
	})
	n, err := p.Signal(syscall.SIGKILL)
	if err != nil || n != 3 {
		t.Fatalf("Signal = %d, %v; want 3 processes reached", n, err)
	}
	<-p.Done()
	testutil.WaitFor(t, 5*time.Second, "grandchildren gone", func() bool {
		for _, pid := range members {
			if syscall.Kill(pid, 0) == nil && !isZombie(pid) {
				return false
			}
		}
		return true
	})
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}

// TestNoFdLeaksIntoChild: ls, started by the spawner, sees only its stdio
// and the directory it reads, none of the parent's files or pipes.
func TestNoFdLeaksIntoChild(t *testing.T) {
	s := newSpawner(t)
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := s.Start(Spec{Argv: []string{"ls", "/proc/self/fd"}, Env: []string{"PATH=/usr/bin:/bin"}, Stdout: w})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	b, _ := io.ReadAll(r)
	if got := strings.Fields(string(b)); !slices.Equal(got, []string{"0", "1", "2", "3"}) {
		t.Errorf("child's fds = %v, want [0 1 2 3] (stdio and ls's own directory)", got)
	}
}
