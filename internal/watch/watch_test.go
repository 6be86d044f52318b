package watch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const delay = 100 * time.Millisecond

// next is the next change within d, or "" when none comes.
func next(w *Watcher, d time.Duration) string {
	select {
	case p := <-w.Changes():
		return p
	case <-time.After(d):
		return ""
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestChangesAreSeen(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "src/app.js"), "1")
	write(t, filepath.Join(root, "node_modules/dep/index.js"), "1")
	write(t, filepath.Join(root, "build/gen/out.js"), "1")
	w, err := New([]string{root}, []string{"*.log", "build/gen"}, delay)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// A burst of writes is one change, named by its first path, after
	// the burst was quiet for the delay.
	t0 := time.Now()
	write(t, filepath.Join(root, "src/app.js"), "2")
	write(t, filepath.Join(root, "src/app.js"), "3")
	if p := next(w, 2*time.Second); p != "src/app.js" {
		t.Fatalf("change: %q, want src/app.js", p)
	}
	if d := time.Since(t0); d < delay {
		t.Errorf("reported after %s, before the delay %s", d, delay)
	}
	if p := next(w, 3*delay); p != "" {
		t.Errorf("a second change %q for one burst", p)
	}

	// Ignored: a default name, a pattern on any element, a path.
	write(t, filepath.Join(root, "node_modules/dep/index.js"), "2")
	write(t, filepath.Join(root, "src/debug.log"), "x")
	write(t, filepath.Join(root, "build/gen/out.js"), "x")
	if p := next(w, 4*delay); p != "" {
		t.Errorf("an ignored file changed and was reported: %q", p)
	}

	// A directory made after the start is followed.
	write(t, filepath.Join(root, "lib/new/mod.js"), "1")
	if p := next(w, 2*time.Second); p == "" {
		t.Fatal("nothing reported for a file in a new directory")
	}
	write(t, filepath.Join(root, "lib/new/mod.js"), "2")
	if p := next(w, 2*time.Second); p != "lib/new/mod.js" {
		t.Errorf("change in a new directory: %q", p)
	}

	// An editor's save: write a new file, rename it over the old one.
	tmp := filepath.Join(root, "src/.app.js.swp")
	write(t, tmp, "4")
	if err := os.Rename(tmp, filepath.Join(root, "src/app.js")); err != nil {
		t.Fatal(err)
	}
	if p := next(w, 2*time.Second); p == "" {
		t.Error("a rename-and-replace save was not seen")
	}
}

// A file root is watched alone, not with its neighbours.
func TestFileRoot(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.conf")
	write(t, conf, "1")
	write(t, filepath.Join(dir, "other"), "1")
	w, err := New([]string{conf}, nil, delay)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	write(t, filepath.Join(dir, "other"), "2")
	if p := next(w, 4*delay); p != "" {
		t.Errorf("a neighbour's change was reported: %q", p)
	}
	write(t, conf, "2")
	if p := next(w, 2*time.Second); p != "app.conf" {
		t.Errorf("change: %q, want app.conf", p)
	}
}

func TestMissingRootIsAnError(t *testing.T) {
	if _, err := New([]string{filepath.Join(t.TempDir(), "nope")}, nil, delay); err == nil {
		t.Error("no error for a root that does not exist")
	}
}

// Over inotify's limits, the error says which limit and how to raise it.
func TestLimitHint(t *testing.T) {
	err := limitHint(fmt.Errorf("add: %w", syscall.ENOSPC))
	if !strings.Contains(err.Error(), "fs.inotify.max_user_watches = ") || !strings.Contains(err.Error(), "sysctl fs.inotify.max_user_watches=524288") {
		t.Errorf("ENOSPC: %v", err)
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("the hint lost its cause: %v", err)
	}
	err = limitHint(syscall.EMFILE)
	if !strings.Contains(err.Error(), "max_user_instances") {
		t.Errorf("EMFILE: %v", err)
	}
}
