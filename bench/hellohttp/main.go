// Command hellohttp answers every request with "hello" on a Unix socket:
// the raw limit for one HTTP round trip to a Go daemon from curl, with
// nothing behind the handler.
//
//	hellohttp SOCKET
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hellohttp SOCKET")
		os.Exit(2)
	}
	os.Remove(os.Args[1])
	ln, err := net.Listen("unix", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "hellohttp:", err)
		os.Exit(1)
	}
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello\n"))
	}))
	fmt.Fprintln(os.Stderr, "hellohttp:", err)
	os.Exit(1)
}
