package supervisor

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

// TestQuietAppIsNotHeldBackByAFlood: while one app writes as fast as it
// can, a quiet app's lines reach its file at once: each stream has its
// own reader and file. The median is the claim (a shared reader would put
// every quiet line behind the flood's backlog); the tail only bounds it,
// loosely, because on a shared 2-core machine running the other packages'
// tests under -race the scheduler alone can hold a reader for 150 ms.
func TestQuietAppIsNotHeldBackByAFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("a flood for a few seconds")
	}
	s, _ := newSup(t)
	flood := helperApp("flood", "flood")
	flood.LogMaxSize = 64 << 20
	off := false
	flood.Time = &off
	quiet := helperApp("quiet", "stamps", "300")
	quiet.Autorestart = spec.RestartNever
	if err := s.Add([]*spec.App{flood, quiet}, false); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, time.Minute, "the quiet app to finish", func() bool { return state(s, "quiet").State == Stopped })
	if err := s.Stop("flood"); err != nil {
		t.Fatal(err)
	}
	floodOut, _ := s.LogPaths("flood", 0)
	fi, _ := os.Stat(floodOut)
	quietOut, _ := s.LogPaths("quiet", 0)
	f, err := os.Open(quietOut)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Each line is "<tend's time> stamp <app's time>": the difference is
	// how long the line took to reach tend's writer, which flushes as
	// soon as the pipe has nothing more.
	var delays []time.Duration
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			continue
		}
		at, err1 := time.Parse("2006-01-02T15:04:05.000Z07:00", fields[0])
		sent, err2 := strconv.ParseInt(fields[2], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("line %q", sc.Text())
		}
		delays = append(delays, at.Sub(time.Unix(0, sent)))
	}
	if len(delays) != 300 {
		t.Fatalf("%d quiet lines, want 300", len(delays))
	}
	slices.Sort(delays)
	p50, p99 := delays[len(delays)/2], delays[len(delays)*99/100]
	t.Logf("quiet app: p50 %s, p99 %s, max %s, while the flood wrote %d MB", p50, p99, delays[len(delays)-1], fi.Size()>>20)
	if p50 > 20*time.Millisecond {
		t.Errorf("p50 %s > 20ms", p50)
	}
	if p99 > time.Second {
		t.Errorf("p99 %s > 1s", p99)
	}
}
