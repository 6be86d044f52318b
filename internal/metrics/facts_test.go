package metrics

import (
	"os"
	"os/user"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestReadSelf compares what Read says of this test process with what the
// process knows of itself.
func TestReadSelf(t *testing.T) {
	f, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Unreadable) > 0 {
		t.Errorf("unreadable: %v", f.Unreadable)
	}
	wd, _ := os.Getwd()
	if f.PPid != os.Getppid() || f.Cwd != wd || !slices.Equal(f.Command, os.Args) {
		t.Errorf("ppid %d cwd %q command %q; want %d %q %q", f.PPid, f.Cwd, f.Command, os.Getppid(), wd, os.Args)
	}
	me := strconv.Itoa(os.Getuid())
	if u, err := user.Current(); err == nil {
		me = u.Username
	}
	if f.User != me {
		t.Errorf("user %q, want %q", f.User, me)
	}
	if f.Threads < 1 || f.FDs < 3 || f.RSS < 1<<20 {
		t.Errorf("threads %d fds %d rss %d: too few", f.Threads, f.FDs, f.RSS)
	}
	if age := time.Since(f.StartTime); age < 0 || age > time.Hour {
		t.Errorf("started %s ago", age)
	}
	if _, err := Read(1 << 30); err == nil {
		t.Error("Read of a pid that cannot exist succeeded")
	}
}
