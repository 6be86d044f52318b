// Package deps holds the test that enforces the import graph of DESIGN §3.
package deps

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/tend-pm/tend/internal/"

// forbidden lists, for a package, the packages it must never link.
var forbidden = map[string][]string{
	// The CLI side never links the daemon side.
	"cli":     {"api", "supervisor", "proc", "store", "daemon", "logs", "metrics", "ptable"},
	"client":  {"api", "supervisor", "proc", "store", "daemon", "logs", "metrics", "ptable", "cli"},
	"apitype": {"api", "supervisor", "proc", "store", "daemon", "client", "cli"},
	"config":  {"api", "supervisor", "proc", "store", "daemon", "client", "cli"},
	// Siblings under the supervisor do not import each other.
	"proc":    {"logs", "metrics", "supervisor", "store", "api"},
	"logs":    {"proc", "metrics", "supervisor", "store", "api"},
	"metrics": {"proc", "logs", "supervisor", "store", "api"},
	// Leaves.
	"spec":     {"ptable", "proc", "logs", "metrics", "supervisor", "store", "api", "client", "cli", "config"},
	"ptable":   {"spec", "proc", "logs", "metrics", "supervisor"},
	"execshim": {"spec", "cli", "client", "supervisor", "proc", "logs", "listen", "config", "api", "store"},
	"listen":   {"proc", "logs", "metrics", "supervisor", "store", "api", "cli", "client"},
	"dotenv":   {"spec", "ptable", "proc", "logs", "metrics", "supervisor", "config", "cli"},
	"store":    {"supervisor", "proc", "api", "cli", "client"},
	"crash":    {"spec", "ptable", "proc", "logs", "supervisor", "store", "api", "cli", "client"},
}

func TestImportGraph(t *testing.T) {
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", mod+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[d] = true
		}
		for _, b := range bad {
			if deps[mod+b] {
				t.Errorf("%s links %s; DESIGN §3 forbids it", pkg, b)
			}
		}
	}
}

// The packages apps and the shim link import only the standard library.
func TestStdlibOnly(t *testing.T) {
	for _, pkg := range []string{"github.com/tend-pm/tend/pkg/tend", mod + "execshim", mod + "ipc", mod + "notify"} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, d := range strings.Fields(string(out)) {
			if d != pkg {
				t.Errorf("%s imports %s; it must use the standard library only", pkg, d)
			}
		}
	}
}
