package testutil

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/coreos/go-systemd/v22/daemon"
)

// sdServe is a server written against go-systemd, as an app would be:
// it serves HTTP on activation.Listeners() (or binds PORT itself when
// tend passes no socket), answering "instance N pid P version V"; after
// DELAY (or $SDSERVE_DELAY) it sends READY=1 and STATUS= with
// daemon.SdNotify. On SIGTERM it stops accepting, finishes the requests
// it has, and exits 0, as a well-behaved server does. WATCHDOG "ping"
// pings at half of WATCHDOG_USEC; "hang" pings for a second, then stops.
// $FAIL_AT_START makes it exit 1 at once, saying so.
func sdServe(args []string) {
	if v := os.Getenv("FAIL_AT_START"); v != "" {
		fmt.Fprintln(os.Stderr, "sdserve: cannot start: "+v)
		os.Exit(1)
	}
	lns, err := activation.Listeners()
	if err != nil || (len(lns) == 0 && os.Getenv("LISTEN_FDS") != "") {
		fmt.Fprintf(os.Stderr, "activation.Listeners: %v (%d listeners)\n", err, len(lns))
		os.Exit(3)
	}
	if len(lns) == 0 && os.Getenv("PORT") != "" {
		ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		lns = append(lns, ln)
	}
	var draining atomic.Bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			// The client learns to reconnect, instead of finding its
			// keep-alive connection closed under its next request.
			w.Header().Set("Connection", "close")
		}
		fmt.Fprintf(w, "instance %s pid %d version %s\n", os.Getenv("TEND_INSTANCE"), os.Getpid(), os.Getenv("VERSION"))
	})
	// conns are the connections not yet closed, with when each went
	// idle (zero while busy), for the drain at SIGTERM.
	var mu sync.Mutex
	conns := map[net.Conn]time.Time{}
	track := func(c net.Conn, st http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch st {
		case http.StateNew, http.StateActive:
			conns[c] = time.Time{}
		case http.StateIdle:
			conns[c] = time.Now()
		case http.StateClosed, http.StateHijacked:
			delete(conns, c)
		}
	}
	var serving sync.WaitGroup
	for _, ln := range lns {
		srv := &http.Server{Handler: h, ConnState: track}
		serving.Go(func() { srv.Serve(ln) })
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		fmt.Println("sdserve: SIGTERM")
		// A drain stuck for 4s explains itself: every goroutine's stack
		// to stderr, kept in the app's log (how a blocking accept4 under
		// the listener's Close was found).
		time.AfterFunc(4*time.Second, func() {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			os.Stderr.Write(buf[:n])
		})
		// Stop accepting (the shared socket stays open in tend and the
		// other instances); answer each connection's next request with
		// Connection: close; close connections idle for a while; exit
		// when none is left.
		draining.Store(true)
		for _, ln := range lns {
			ln.Close()
		}
		// Serve returns once its accept loop has: a connection it took
		// just before the close is tracked by then. Counting before,
		// the server could exit with that connection unanswered (a read
		// error in wrk, about once in ten runs of zerodowntime.txtar).
		serving.Wait()
		closed, left := 0, 0
		for deadline := time.Now().Add(6 * time.Second); time.Now().Before(deadline); {
			mu.Lock()
			left = len(conns)
			for c, idle := range conns {
				// Idle for 2 s: a client may send on a connection the
				// moment it is closed (the keep-alive race no server
				// escapes), and wrk on a loaded machine went 1.4 s
				// between requests of one connection (8 read errors in a
				// clean-clone CI run with 500 ms here). A busy one gets
				// Connection: close at its next request instead.
				if !idle.IsZero() && time.Since(idle) > 2*time.Second {
					c.Close()
					delete(conns, c)
					closed++
				}
			}
			mu.Unlock()
			if left == 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Said, so a request a test sees fail can be laid at the
		// server's door (a connection it closed) or not.
		fmt.Printf("sdserve: drained, closed %d idle connections, left %d open\n", closed, left)
		os.Exit(0)
	}()
	delay := args[0]
	if v := os.Getenv("SDSERVE_DELAY"); v != "" {
		delay = v
	}
	if d, err := time.ParseDuration(delay); err == nil {
		time.Sleep(d)
	}
	sent, err := daemon.SdNotify(false, "READY=1\nSTATUS=serving "+fmt.Sprint(len(lns))+" sockets")
	fmt.Printf("sdserve: listening on %d sockets, READY=1 sent=%v err=%v\n", len(lns), sent, err)
	if len(args) > 1 {
		every, err := daemon.SdWatchdogEnabled(false)
		if err != nil || every == 0 {
			fmt.Fprintln(os.Stderr, "watchdog not enabled:", err)
			os.Exit(3)
		}
		deadline := time.Time{}
		if args[1] == "hang" {
			deadline = time.Now().Add(time.Second)
		}
		for deadline.IsZero() || time.Now().Before(deadline) {
			daemon.SdNotify(false, daemon.SdNotifyWatchdog)
			time.Sleep(every / 2)
		}
		fmt.Println("sdserve: hanging, no more watchdog pings")
	}
	block()
}
