package testutil

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
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
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "instance %s pid %d version %s\n", os.Getenv("TEND_INSTANCE"), os.Getpid(), os.Getenv("VERSION"))
	})
	// open counts connections not yet closed, for the drain at SIGTERM.
	var open atomic.Int64
	track := func(c net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	for _, ln := range lns {
		srv := &http.Server{Handler: h, ConnState: track}
		go srv.Serve(ln)
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		// Stop accepting (the shared socket stays open in tend and the
		// other instances), let every accepted connection finish, exit.
		for _, ln := range lns {
			ln.Close()
		}
		for deadline := time.Now().Add(5 * time.Second); open.Load() > 0 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
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
