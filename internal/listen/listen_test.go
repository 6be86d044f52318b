package listen

import (
	"net"
	"os"
	"strconv"
	"strings"
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
