package supervisor

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/logs"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

// readAll returns the lines of a log and its rotated files, oldest first.
func readAll(t *testing.T, path string) (lines []string, files int) {
	t.Helper()
	for _, p := range append(logs.Rotated(path), path) {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = f
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		f.Close()
		files++
	}
	return lines, files
}

// TestMillionLinesKeptInOrder: a burst of 1,000,000 numbered lines with
// log_max_size 1M: every line is on disk exactly once, in order, none
// split across files.
func TestMillionLinesKeptInOrder(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	s, _ := newSup(t)
	a := helperApp("burst", "lines", fmt.Sprint(n))
	a.Autorestart = spec.RestartNever
	a.LogMaxSize = 1 << 20
	a.LogMaxFiles = 1000
	off := false
	a.Time = &off
	begin := time.Now()
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 2*time.Minute, "the burst to end", func() bool { return state(s, "burst").State == Stopped })
	took := time.Since(begin)
	out, _ := s.LogPaths("burst", 0)
	lines, files := readAll(t, out)
	if len(lines) != n {
		t.Fatalf("%d lines on disk, want %d", len(lines), n)
	}
	for i, l := range lines {
		if want := fmt.Sprintf("line %d", i+1); l != want {
			t.Fatalf("line %d is %q, want %q", i+1, l, want)
		}
	}
	for _, p := range logs.Rotated(out) {
		if fi, _ := os.Stat(p); fi.Size() > 1<<20 {
			t.Errorf("%s has %d bytes, over log_max_size", p, fi.Size())
		}
	}
	t.Logf("%d lines in %d files in %s", n, files, took)
}

// TestRotationKeepsMaxFilesAndCompresses: old files beyond log_max_files
// go; rotated files are gzipped; the newest lines are all there.
func TestRotationKeepsMaxFilesAndCompresses(t *testing.T) {
	s, _ := newSup(t)
	a := helperApp("rot", "lines", "50000")
	a.Autorestart = spec.RestartNever
	a.LogMaxSize = 64 << 10
	a.LogMaxFiles = 3
	a.LogCompress = true
	if err := s.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, time.Minute, "the run to end", func() bool { return state(s, "rot").State == Stopped })
	out, _ := s.LogPaths("rot", 0)
	testutil.WaitFor(t, 10*time.Second, "3 gzipped rotated files", func() bool {
		r := logs.Rotated(out)
		if len(r) != 3 {
			return false
		}
		for _, p := range r {
			if !strings.HasSuffix(p, ".gz") {
				return false
			}
		}
		return true
	})
	lines, _ := readAll(t, out)
	last := lines[len(lines)-1]
	if !strings.HasSuffix(last, " line 50000") {
		t.Errorf("last line %q", last)
	}
	// Consecutive: the kept lines are one unbroken run ending at 50000.
	first := strings.Fields(lines[0])
	var k int
	fmt.Sscanf(first[len(first)-1], "%d", &k)
	for i, l := range lines {
		if !strings.HasSuffix(l, fmt.Sprintf(" line %d", k+i)) {
			t.Fatalf("line %d of the kept files is %q, want line %d", i, l, k+i)
		}
	}
}

// TestMergeLogsAndOutFile: merge_logs puts every instance into one file;
// out_file without merging gets -<id> per instance.
func TestMergeLogsAndOutFile(t *testing.T) {
	s, _ := newSup(t)
	dir := t.TempDir()
	merged := helperApp("merged", "lines", "100")
	merged.Instances, merged.MergeLogs, merged.Autorestart = 2, true, spec.RestartNever
	split := helperApp("split", "lines", "100")
	split.Instances, split.Autorestart = 2, spec.RestartNever
	split.OutFile = filepath.Join(dir, "split.log")
	if err := s.Add([]*spec.App{merged, split}, false); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 20*time.Second, "all four instances to end", func() bool {
		for _, a := range s.List() {
			for _, v := range a.Instances {
				if v.State != Stopped {
					return false
				}
			}
		}
		return true
	})
	out, _ := s.LogPaths("merged", 1)
	if filepath.Base(out) != "merged-out.log" {
		t.Errorf("merged instance 1 writes %s", out)
	}
	if lines, _ := readAll(t, out); len(lines) != 200 {
		t.Errorf("merged file has %d lines, want 200", len(lines))
	}
	for id := range 2 {
		p := filepath.Join(dir, fmt.Sprintf("split-%d.log", id))
		if lines, _ := readAll(t, p); len(lines) != 100 {
			t.Errorf("%s has %d lines, want 100", p, len(lines))
		}
	}
}
