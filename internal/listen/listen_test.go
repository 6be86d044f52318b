package listen

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestBindReportsHolder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := "tcp://" + ln.Addr().String()
	_, err = Bind(addr)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Bind(%s) = %v", addr, err)
	}
	if _, serr := os.Stat("/proc/net/tcp"); serr == nil && !strings.Contains(err.Error(), "held by pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("Bind(%s) = %v; want the holder named", addr, err)
	}
}

func TestBindAndName(t *testing.T) {
	s, err := Bind("tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Port == 0 || s.Name != "tcp-"+strconv.Itoa(s.Port) || s.File() == nil {
		t.Errorf("socket %+v", s)
	}
	for _, bad := range []string{"http://x:1", "tcp://nohost", "unix://", "tcp://:port"} {
		if _, _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// TestSpawnKeepsSocketNonBlocking: every instance shares the socket's one
// open file description, and with it O_NONBLOCK. Handing the socket to a
// child must not clear it: a Go instance whose accept4 ran while it was
// clear sat in a blocking accept, its listener's Close waited on it, and
// the instance never finished draining (killed at kill_timeout, a reload
// taking 10s in zerodowntime.txtar). The flag is read from the child's
// fdinfo, as the sharing children see it.
func TestSpawnKeepsSocketNonBlocking(t *testing.T) {
	if _, err := os.Stat("/proc/self/fdinfo"); err != nil {
		t.Skip("no /proc fdinfo")
	}
	for _, addr := range []string{"tcp://127.0.0.1:0", "unix://" + filepath.Join(t.TempDir(), "s.sock")} {
		s, err := Bind(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		cmd := exec.Command("sleep", "30")
		cmd.ExtraFiles = []*os.File{s.File()}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/3", cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		var flags int64
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, _ = strconv.ParseInt(strings.TrimSpace(v), 8, 64)
			}
		}
		if flags&syscall.O_NONBLOCK == 0 {
			t.Errorf("%s: the child's fd 3 is blocking (flags %o): spawning cleared O_NONBLOCK on the shared socket", addr, flags)
		}
	}
}
