package listen

import (
	"net"
	"strings"
	"testing"
)

func TestRegistryPortZeroIsPerApp(t *testing.T) {
	r := NewRegistry()
	defer r.Close()
	a := Decl{App: "a", Addrs: []string{"tcp://127.0.0.1:0"}}
	b := Decl{App: "b", Addrs: []string{"tcp://127.0.0.1:0"}}
	if err := r.Bind(a, b); err != nil {
		t.Fatal(err)
	}
	la, lb := r.Listening(a), r.Listening(b)
	if len(la) != 1 || len(lb) != 1 || la[0] == lb[0] || strings.HasSuffix(la[0], ":0") {
		t.Fatalf("port 0 for two apps: a %q, b %q; want a port each", la, lb)
	}
	// The port a got, spelled out by another app, is a's.
	c := Decl{App: "c", Addrs: []string{la[0]}}
	if err := r.Bind(c); err == nil || !strings.Contains(err.Error(), `already used by app "a"`) {
		t.Errorf("c binding a's port: %v", err)
	}
}

func TestRegistryBindIsAllOrNothing(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	r := NewRegistry()
	defer r.Close()
	d := Decl{App: "a", Addrs: []string{"tcp://127.0.0.1:0", "tcp://" + held.Addr().String()}}
	if err := r.Bind(d); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Bind with a held address: %v", err)
	}
	if got := r.Listening(d); len(got) != 0 {
		t.Errorf("after a failed Bind, a still listens on %q", got)
	}
}

func TestRegistryReusePortInstances(t *testing.T) {
	r := NewRegistry()
	defer r.Close()
	d := Decl{App: "a", Addrs: []string{"tcp://127.0.0.1:0"}, ReusePort: true}
	if err := r.Bind(d); err != nil {
		t.Fatal(err)
	}
	s0, err := r.For(d, 0)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := r.For(d, 1)
	if err != nil {
		t.Fatal(err)
	}
	if s0[0] == s1[0] || s0[0].Port != s1[0].Port {
		t.Fatalf("instance 1's socket %+v; want its own, on instance 0's port %d", s1[0], s0[0].Port)
	}
	again, _ := r.For(d, 1)
	if again[0] != s1[0] {
		t.Errorf("instance 1 got a new socket on its second start")
	}
	r.ReleaseInstances("a", 1)
	if again, _ := r.For(d, 1); again[0] == s1[0] {
		t.Errorf("instance 1's socket survived ReleaseInstances(1)")
	}
	if got, _ := r.For(d, 0); got[0] != s0[0] {
		t.Errorf("ReleaseInstances(1) closed instance 0's socket")
	}
}

func TestRegistryRelease(t *testing.T) {
	r := NewRegistry()
	defer r.Close()
	d := Decl{App: "a", Addrs: []string{"tcp://127.0.0.1:0", "unix://" + t.TempDir() + "/a.sock"}}
	if err := r.Bind(d); err != nil {
		t.Fatal(err)
	}
	r.Release("a", d.Addrs[1:])
	if got := r.Listening(d); len(got) != 1 || !strings.HasPrefix(got[0], "unix://") {
		t.Errorf("after releasing the tcp address: %q", got)
	}
	if _, err := r.For(d, 0); err == nil {
		t.Errorf("For with a released address: no error")
	}
	r.Close()
	if err := r.Bind(d); err == nil {
		t.Errorf("Bind after Close: no error")
	}
}
