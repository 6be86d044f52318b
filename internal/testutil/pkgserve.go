package testutil

import (
	"fmt"
	"net/http"
	"os"

	"github.com/tend-pm/tend/pkg/tend"
)

func pkgServe([]string) {
	lns, err := tend.Listeners()
	if err != nil || len(lns) == 0 {
		fmt.Fprintf(os.Stderr, "pkgserve: tend.Listeners: %v (%d)\n", err, len(lns))
		os.Exit(3)
	}
	for _, ln := range lns {
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "pkgserve instance %s\n", os.Getenv("TEND_INSTANCE"))
		}))
	}
	tend.Status(fmt.Sprintf("serving on %d sockets", len(lns)))
	if err := tend.Ready(); err != nil {
		fmt.Fprintln(os.Stderr, "pkgserve: ready:", err)
	}
	for m := range tend.Messages() {
		if m.Type == "shutdown" {
			tend.Stopping()
			fmt.Println("pkgserve: shutdown asked; bye")
			os.Exit(0)
		}
		tend.Send(map[string]any{"got": m.Data})
	}
	block()
}
