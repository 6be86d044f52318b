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
	apps := sleepers("idle", n)
	if err := s.Add(apps, false); err != nil {
		t.Fatal(err)
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
		if h := heapInuse(); h > 64<<20 {
			t.Errorf("round %d: %d idle instances hold %d MB of heap; want under 64 MB", round, n, h>>20)
		}
	}
	if err := s.Delete("all"); err != nil {
		t.Fatal(err)
	}
}

// heapInuse is the heap in use after a collection.
func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestIdleInstanceHeap: a running instance whose app has said its word
// and gone quiet holds no read buffer: its pipes and IPC channel are
// waited on without one (issue 11: the heap of 1,000 idle apps was 24 MB,
// a third of it 4 KiB buffers of quiet pipes).
func TestIdleInstanceHeap(t *testing.T) {
	s, _ := newSup(t)
	const n = 200
	apps := sleepers("quiet", n)
	h0 := heapInuse()
	if err := s.Add(apps, false); err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		waitState(t, s, a.Name, Online) // it printed "ready" by then
	}
	per := (int64(heapInuse()) - int64(h0)) / n
	t.Logf("heap per idle instance: %d bytes", per)
	// About 11 KB here (17 KB under -race): the instance, its run, two
	// log writers and five goroutines. Two 4 KiB read buffers held, or
	// one 256 KiB write buffer, go over.
	bound := int64(14 << 10)
	if raceOn {
		bound = 20 << 10
	}
	if per > bound {
		t.Errorf("an idle instance holds %d bytes of heap; want at most %d", per, bound)
	}
}

// sleepers are n apps named prefix0… that print "ready" and block.
func sleepers(prefix string, n int) []*spec.App {
	apps := make([]*spec.App, n)
	for i := range apps {
		apps[i] = helperApp(fmt.Sprintf("%s%d", prefix, i), "sleep")
	}
	return apps
}
