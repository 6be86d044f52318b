package testutil

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/coreos/go-systemd/v22/daemon"
)

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
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "instance %s pid %d version %s\n", os.Getenv("TEND_INSTANCE"), os.Getpid(), os.Getenv("VERSION"))
	})
	for _, ln := range lns {
		go http.Serve(ln, h)
	}
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
