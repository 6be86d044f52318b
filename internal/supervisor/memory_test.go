package supervisor

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/tend-pm/tend/internal/spec"
)

// Idle apps hold kilobytes, not a megabyte per pipe, after any number of
// stops and starts (issue 10: `delete all` of 500 apps took the daemon
// from 97 MB to 861 MB; each run's output reader held 1 MiB per pipe).
func TestIdleAppsStaySmallAcrossStopAndStart(t *testing.T) {
	s, _ := newSup(t)
	const n = 200
	var apps []*spec.App
	for i := range n {
		apps = append(apps, helperApp(fmt.Sprintf("idle%d", i), "sleep"))
	}
	if err := s.Add(apps, false); err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	for round := range 2 {
		if err := s.Stop("all"); err != nil {
			t.Fatal(err)
		}
		if err := s.StartExisting("all"); err != nil {
			t.Fatal(err)
		}
		for _, a := range apps {
			waitState(t, s, a.Name, Online)
		}
		// 200 instances, two pipes each: 64 MB would be 160 KB a pipe.
		if h := heap(); h > 64<<20 {
			t.Errorf("round %d: %d idle instances hold %d MB of heap; want under 64 MB", round, n, h>>20)
		}
	}
	if err := s.Delete("all"); err != nil {
		t.Fatal(err)
	}
}
