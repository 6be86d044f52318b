package supervisor

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/cgroup"
	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

func newSupWithCgroups(t *testing.T) *Supervisor {
	t.Helper()
	root, err := cgroup.Open(fmt.Sprintf("tend-sup-test-%d", os.Getpid()))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI has a writable cgroup v2 (this test must not skip there): %v", err)
		}
		t.Skipf("no writable cgroup v2: %v", err)
	}
	sp, err := proc.NewSpawner()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{Home: t.TempDir(), Store: &MemStore{}, Spawner: sp, Cgroups: root})
	t.Cleanup(func() {
		s.Shutdown(context.Background())
		sp.Close()
		os.Remove(root.Dir)
	})
	return s
}

// A tree's CPU is read from its cgroup, which counts processes that have
// ended: an app that burns a core in short-lived children shows it (the
// sum over live members in /proc never sees a child that came and went
// between two samples).
func TestCPUOfShortLivedChildrenIsCounted(t *testing.T) {
	s := newSupWithCgroups(t)
	burn := &spec.App{Name: "burn", Shell: true,
		Script: `while :; do sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'; done`}
	if err := s.Add([]*spec.App{burn}, false); err != nil {
		t.Fatal(err)
	}
	v := waitState(t, s, "burn", Online)
	if !strings.HasPrefix(v.HeldBy, "cgroup ") {
		t.Fatalf("held by %q; want a cgroup", v.HeldBy)
	}
	// Under a loaded suite the burner may get little of a core for a while:
	// the wait is long, and ends at the first sample over.
	testutil.WaitFor(t, 10*time.Second, "CPU over 30%", func() bool {
		a, _ := s.Get("burn")
		return a.Instances[0].CPU > 30
	})
}
