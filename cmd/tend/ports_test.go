package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// freePort implements `freeport VAR [N]`: VAR is set to a port P that
// the kernel has just let it bind on 127.0.0.1, and with N, VAR_1 …
// VAR_<N-1> to P+1 … P+N-1, free too (for an example whose instance i
// listens on PORT+i). The ports are released before the command returns,
// so a script binds them soon after; no script takes a fixed number, so
// scripts running at once never meet on one.
//
// P is drawn at random below the kernel's ephemeral range, not from
// bind(":0"): that range is where client sockets take their local ports,
// and the scripts' wrk runs leave thousands there in TIME_WAIT. A server
// that binds its own port again at each restart (the zerodowntime
// control, a held port) would meet them; and since Linux 4.6 bind(":0")
// hands out odd ports and connect() even ones, so P+1 of a kernel pick is
// where they are most often (100 tries of 2 consecutive ports failed
// beside a wrk run).
func freePort(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || len(args) > 2 || neg {
		ts.Fatalf("usage: freeport VAR [N]")
	}
	n := 1
	if len(args) == 2 {
		var err error
		if n, err = strconv.Atoi(args[1]); err != nil || n < 1 || n > 100 {
			ts.Fatalf("freeport: N %q: want 1 to 100", args[1])
		}
	}
	lo, _ := ephemeralRange()
	for range 100 {
		if p, ok := freeRun(freeBase+rand.IntN(lo-freeBase-n), n); ok {
			ts.Setenv(args[0], strconv.Itoa(p))
			for i := 1; i < n; i++ {
				ts.Setenv(fmt.Sprintf("%s_%d", args[0], i), strconv.Itoa(p+i))
			}
			ts.Logf("%s=%d (and the %d after it)", args[0], p, n-1)
			return
		}
	}
	ts.Fatalf("freeport: no %d free consecutive ports in 100 tries", n)
}

// freeBase is the lowest port freeport hands out: above the registered
// ports most services on a developer's machine use.
const freeBase = 10000

// ephemeralRange reads the kernel's range for client ports; Linux's
// default when it cannot.
func ephemeralRange() (lo, hi int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if _, err := fmt.Sscan(string(b), &lo, &hi); err == nil && lo > freeBase+1000 {
			return lo, hi
		}
	}
	return 32768, 60999
}

// freeRun binds p … p+n-1, holding each until all are known free.
func freeRun(p, n int) (int, bool) {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+i))
		if err != nil {
			return 0, false
		}
		held = append(held, l)
	}
	return p, true
}

// replace implements `replace FILE OLD NEW`: every OLD in FILE becomes
// NEW, and OLD must be there (a script that swaps a bundled example's
// port for a free one fails when the example no longer says it).
func replace(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	path := ts.MkAbs(args[0])
	b, err := os.ReadFile(path)
	ts.Check(err)
	if !strings.Contains(string(b), args[1]) {
		ts.Fatalf("replace: %s does not contain %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(path, []byte(strings.ReplaceAll(string(b), args[1], args[2])), 0o644))
}
