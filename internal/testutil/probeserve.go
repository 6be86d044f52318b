package testutil

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
)

// serveFDs serves h on the n sockets of LISTEN_FDS (fds 3…), or exits 3.
func serveFDs(n int, h http.Handler) {
	for fd := 3; fd < 3+n; fd++ {
		ln, err := net.FileListener(os.NewFile(uintptr(fd), "listen"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		go http.Serve(ln, h)
	}
}

// probeServe serves HTTP on the sockets of LISTEN_FDS: /healthz answers
// 200, /ready 503 while $NOT_READY is set (else 200), and any other path
// "instance N pid P version V". It prints "probeserve: up pid P".
func probeServe([]string) {
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "probeserve: no LISTEN_FDS")
		os.Exit(3)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		if os.Getenv("NOT_READY") != "" {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "instance %s pid %d version %s\n", os.Getenv("TEND_INSTANCE"), os.Getpid(), os.Getenv("VERSION"))
	})
	serveFDs(n, mux)
	fmt.Printf("probeserve: up pid %d\n", os.Getpid())
	block()
}
