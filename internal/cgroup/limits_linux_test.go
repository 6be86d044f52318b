package cgroup

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A limit this host cannot enforce is refused, naming the controller and
// why neither cgroup version could take it; limits needing nothing pass.
func TestCheckNamesWhatIsMissing(t *testing.T) {
	e := &Enforcer{v1: map[string]string{}, missing: map[string]string{
		"memory": "memory controller (no writable cgroup v2, and cgroup v1's memory hierarchy is not mounted)",
	}}
	e.once.Do(func() {}) // looked: found nothing
	if err := e.Check(Limits{}); err != nil {
		t.Errorf("no limits: %v", err)
	}
	err := e.Check(Limits{MemoryMax: 64 << 20})
	if err == nil || !strings.Contains(err.Error(), "cannot enforce these limits here: no memory controller (no writable cgroup v2, and cgroup v1's memory hierarchy is not mounted)") {
		t.Errorf("memory_max on a host without the controller: %v", err)
	}
	if _, err := e.Apply("r", nil, Limits{MemoryMax: 64 << 20}); err == nil {
		t.Error("Apply wrote a limit the host cannot enforce")
	}
}

// On this host (root, cgroup v1 pids and memory beside a v2 without
// controllers), limits are written to v1 groups of the run's own, which
// go at Remove. It fails rather than skips under CI, which has them.
func TestApplyWritesV1Groups(t *testing.T) {
	e := NewEnforcer(nil, fmt.Sprintf("tend-limits-test-%d", os.Getpid()))
	defer e.Close()
	l := Limits{PidsMax: 20, MemoryMax: 64 << 20, CPUQuota: 0.5}
	if err := e.Check(l); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI can enforce limits (this test must not skip there): %v", err)
		}
		t.Skipf("no limits here: %v", err)
	}
	a, err := e.Apply("run-0.1", nil, l)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"pids.max": "20", "memory.limit_in_bytes": "67108864", "cpu.cfs_quota_us": "50000"}
	found := 0
	for _, procs := range a.Join {
		dir := filepath.Dir(procs)
		for f, v := range want {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				continue
			}
			found++
			if strings.TrimSpace(string(b)) != v {
				t.Errorf("%s/%s = %q, want %s", dir, f, b, v)
			}
		}
	}
	if found != len(want) {
		t.Errorf("found %d of %d limit files in %v", found, len(want), a.Join)
	}
	if err := a.Remove(); err != nil {
		t.Fatal(err)
	}
	for _, procs := range a.Join {
		if _, err := os.Stat(filepath.Dir(procs)); !os.IsNotExist(err) {
			t.Errorf("%s left after Remove", filepath.Dir(procs))
		}
	}
}
