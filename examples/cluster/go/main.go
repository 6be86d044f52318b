// Command go-server is a Go HTTP server for tend's cluster mode, written
// with pkg/tend: it serves on the sockets tend passes, says when it is
// ready, and on SIGTERM stops accepting and finishes the requests it has.
// The same binary runs under systemd (socket activation, Type=notify)
// and on its own (it binds PORT).
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tend-pm/tend/pkg/tend"
)

func main() {
	lns, err := tend.Listeners()
	if err != nil {
		log.Fatal(err)
	}
	if len(lns) == 0 { // run alone
		port := os.Getenv("PORT")
		if port == "" {
			port = "3002"
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			log.Fatal(err)
		}
		lns = append(lns, ln)
	}
	// open counts accepted connections not yet closed: a stop waits for
	// them after closing the listeners. (http.Server.Shutdown dropped a
	// few accepted connections per stop on a shared socket in tend's
	// tests; this does not.)
	var open atomic.Int64
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "go instance %s pid %d\n", os.Getenv("TEND_INSTANCE"), os.Getpid())
		}),
		ConnState: func(c net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				open.Add(1)
			case http.StateClosed, http.StateHijacked:
				open.Add(-1)
			}
		},
	}
	for _, ln := range lns {
		go srv.Serve(ln)
	}
	log.Printf("go: serving on %d sockets", len(lns))
	tend.Status(fmt.Sprintf("serving on %d sockets", len(lns)))
	tend.Ready()

	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	<-term
	tend.Stopping()
	srv.SetKeepAlivesEnabled(false)
	for _, ln := range lns {
		ln.Close() // the shared socket stays open in tend and the other instances
	}
	for deadline := time.Now().Add(10 * time.Second); open.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	log.Print("go: drained, bye")
}
