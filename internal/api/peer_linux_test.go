package api

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// A child that exited and was not waited for is counted, once; waited
// for, it is not.
func TestZombieChildrenCountsTheUnreaped(t *testing.T) {
	before := zombieChildren()
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Wait() })
	stat := fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(stat)
		if err == nil && bytes.Contains(b, []byte(") Z ")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d not a zombie within 5s: %s %v", cmd.Process.Pid, b, err)
		}
		time.Sleep(time.Millisecond)
	}
	if n := zombieChildren(); n != before+1 {
		t.Fatalf("%d zombie children with one unreaped, want %d", n, before+1)
	}
	if n := zombiesAmongAll(); n != before+1 { // without CONFIG_PROC_CHILDREN
		t.Fatalf("by every process's stat: %d zombie children with one unreaped, want %d", n, before+1)
	}
	cmd.Wait()
	if n := zombieChildren(); n != before {
		t.Fatalf("%d zombie children once reaped, want %d", n, before)
	}
}

// BenchmarkZombieChildren: what GET /v1/version pays for the count.
func BenchmarkZombieChildren(b *testing.B) {
	for b.Loop() {
		zombieChildren()
	}
}
