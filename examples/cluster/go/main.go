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
	"sync"
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
	// On SIGTERM the server drains: it stops accepting (the shared socket
	// stays open in tend and the other instances), answers each
	// keep-alive connection's next request with Connection: close, and
	// closes only connections idle for 500ms, so no client finds its
	// connection closed under a request it just sent. (Go's
	// SetKeepAlivesEnabled(false) and Shutdown close idle connections at
	// once, and Shutdown dropped a few accepted connections per stop on a
	// shared socket in tend's tests.)
	var stopping atomic.Bool
	var mu sync.Mutex
	conns := map[net.Conn]time.Time{} // open connections: when each went idle, zero while busy
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if stopping.Load() {
				w.Header().Set("Connection", "close")
			}
			fmt.Fprintf(w, "go instance %s pid %d\n", os.Getenv("TEND_INSTANCE"), os.Getpid())
		}),
		ConnState: func(c net.Conn, st http.ConnState) {
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
		},
	}
	var serving sync.WaitGroup
	for _, ln := range lns {
		serving.Go(func() { srv.Serve(ln) })
	}
	log.Printf("go: serving on %d sockets", len(lns))
	tend.Status(fmt.Sprintf("serving on %d sockets", len(lns)))
	tend.Ready()

	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	<-term
	tend.Stopping()
	stopping.Store(true)
	for _, ln := range lns {
		ln.Close()
	}
	// Serve returns once its accept loop has, and a connection it took
	// just before the close is tracked by then; counting earlier could
	// exit with that one unanswered.
	serving.Wait()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		left := len(conns)
		for c, idle := range conns {
			if !idle.IsZero() && time.Since(idle) > 500*time.Millisecond {
				c.Close()
			}
		}
		mu.Unlock()
		if left == 0 {
			break
		}
	}
	log.Print("go: drained, bye")
}
