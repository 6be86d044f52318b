// Package deps holds the test that enforces the import graph of DESIGN §3
// from one table: every package of the module, the module's packages it
// may import, and the rules the table must keep.
package deps

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/tend-pm/tend/"

// rooms is every package of the module and the module's packages it may
// import directly (nil: none). A new package goes here and in the
// README's Layout section, or TestEveryPackageIsInTheTable fails.
var rooms = map[string][]string{
	// The binary and the CLI side.
	"cmd/tend":          {"internal/cli", "internal/daemon", "internal/spec"},
	"internal/cli":      {"internal/apitype", "internal/buildinfo", "internal/client", "internal/config", "internal/execshim", "internal/export", "internal/monit", "internal/rawio", "internal/spec"},
	"internal/monit":    {"internal/apitype"},
	"internal/export":   {"internal/spec"},
	"internal/client":   {"internal/apitype", "internal/buildinfo", "internal/rawio", "internal/spec"},
	"internal/apitype":  {"internal/spec"},
	"internal/config":   {"internal/spec"},
	"internal/execshim": nil,

	// The daemon side.
	"internal/daemon": {"internal/api", "internal/buildinfo", "internal/cgroup", "internal/crash", "internal/logs",
		"internal/notify", "internal/proc", "internal/spec", "internal/store", "internal/supervisor"},
	"internal/api": {"internal/apitype", "internal/buildinfo", "internal/logs", "internal/metrics", "internal/pool", "internal/rawio", "internal/spec",
		"internal/store", "internal/supervisor", "internal/webui"},
	"internal/store": {"internal/spec"},
	"internal/supervisor": {"internal/cgroup", "internal/crash", "internal/dotenv", "internal/execshim", "internal/health", "internal/ipc",
		"internal/listen", "internal/logs", "internal/metrics", "internal/nodepreload", "internal/notify",
		"internal/pool", "internal/proc", "internal/ptable", "internal/spec", "internal/tally", "internal/watch"},

	// The rooms under the supervisor, siblings that never import each
	// other (see siblings), and what they stand on.
	"internal/proc":        {"internal/cgroup", "internal/ptable"},
	"internal/logs":        {"internal/fdwait", "internal/spec"},
	"internal/metrics":     {"internal/reread", "internal/spec"},
	"internal/ipc":         {"internal/rawio"},
	"internal/pool":        {"internal/spec"},
	"internal/health":      nil,
	"internal/watch":       nil,
	"internal/notify":      nil,
	"internal/listen":      {"internal/spec"},
	"internal/cgroup":      {"internal/reread"},
	"internal/reread":      nil,
	"internal/tally":       nil,
	"internal/webui":       nil,
	"internal/ptable":      nil,
	"internal/nodepreload": nil,
	"internal/dotenv":      nil,
	"internal/crash":       nil,

	// Shared by both sides. rawio (and the fdwait it stands on) is the
	// stream's client too: it reads a task stream's answers as the daemon
	// writes them, one wake-up an answer.
	"internal/spec":      nil,
	"internal/buildinfo": nil,
	"internal/rawio":     {"internal/fdwait"},
	"internal/fdwait":    nil,

	// What apps link, examples, benchmarks and tests.
	"pkg/tend":            nil,
	"examples/cluster/go": {"pkg/tend"},
	"examples/pool/go":    {"pkg/tend"},
	"bench/burst":         nil,
	"bench/timeit":        nil,
	"bench/hello":         nil,
	"bench/webopen":       nil,
	"bench/pool/feed":     nil,
	"bench/pool/hop":      nil,
	"bench/hellohttp":     nil,
	"internal/testutil":   {"pkg/tend"},
	"internal/deps":       nil,
}

// daemonSide is what the CLI side must never link, even indirectly.
var daemonSide = []string{"internal/daemon", "internal/api", "internal/store", "internal/supervisor", "internal/proc",
	"internal/logs", "internal/metrics", "internal/ipc", "internal/notify", "internal/listen", "internal/cgroup",
	"internal/ptable", "internal/crash", "internal/dotenv", "internal/nodepreload", "internal/health", "internal/watch",
	"internal/reread", "internal/webui", "internal/pool", "internal/tally"}

// cliSide is the code a CLI run links besides the binary's main.
var cliSide = []string{"internal/cli", "internal/client", "internal/apitype", "internal/config", "internal/monit"}

// siblings are the rooms under the supervisor: none imports another.
var siblings = []string{"internal/proc", "internal/logs", "internal/ipc", "internal/pool", "internal/notify", "internal/listen", "internal/metrics", "internal/health", "internal/watch"}

// imports is `go list`'s answer for the module: each package's direct
// imports inside the module (test files left out).
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	got := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		pkg, ok := strings.CutPrefix(f[0], mod)
		if !ok {
			continue
		}
		got[pkg] = []string{}
		for _, d := range f[1:] {
			if d, ok := strings.CutPrefix(d, mod); ok {
				got[pkg] = append(got[pkg], d)
			}
		}
	}
	return got
}

func TestEveryPackageIsInTheTable(t *testing.T) {
	got := imports(t)
	for pkg := range got {
		if _, ok := rooms[pkg]; !ok {
			t.Errorf("%s is not in the table of rooms (internal/deps): add it with what it may import, and a line in the README's Layout", pkg)
		}
	}
	for pkg := range rooms {
		if _, ok := got[pkg]; !ok {
			t.Errorf("the table lists %s, which is not a package of the module", pkg)
		}
	}
}

func TestImportsStayInTheTable(t *testing.T) {
	for pkg, deps := range imports(t) {
		for _, d := range deps {
			if !slices.Contains(rooms[pkg], d) {
				t.Errorf("%s imports %s, which the table does not allow (DESIGN §3)", pkg, d)
			}
		}
	}
}

// TestTheTableKeepsTheRules checks the table itself, so that allowing an
// import cannot break a rule of DESIGN §3 unnoticed.
func TestTheTableKeepsTheRules(t *testing.T) {
	for _, pkg := range cliSide {
		for _, d := range reach(pkg) {
			if slices.Contains(daemonSide, d) {
				t.Errorf("%s reaches %s: the CLI side never links the daemon side", pkg, d)
			}
		}
	}
	for _, d := range []string{"internal/store", "internal/api"} {
		if slices.Contains(reach("internal/supervisor"), d) {
			t.Errorf("the supervisor reaches %s: it takes a store interface and knows nothing of the API", d)
		}
	}
	for _, s := range siblings {
		for _, d := range reach(s) {
			if slices.Contains(siblings, d) {
				t.Errorf("%s reaches its sibling %s", s, d)
			}
		}
	}
}

// reach is every package pkg links through the table.
func reach(pkg string) []string {
	var out []string
	var walk func(string)
	walk = func(p string) {
		for _, d := range rooms[p] {
			if !slices.Contains(out, d) {
				out = append(out, d)
				walk(d)
			}
		}
	}
	walk(pkg)
	return out
}

// TestLayoutNamesEveryPackage: the README's Layout section names every
// package of the table.
func TestLayoutNamesEveryPackage(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, layout, ok := strings.Cut(string(b), "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no ## Layout section")
	}
	layout, _, _ = strings.Cut(layout, "\n## ")
	for pkg := range rooms {
		if !strings.Contains(layout, "`"+pkg+"`") {
			t.Errorf("the README's Layout section does not name `%s`", pkg)
		}
	}
}

// The packages apps and the shim link import only the standard library
// (and one another: each is checked on its own).
func TestStdlibOnly(t *testing.T) {
	pkgs := []string{"pkg/tend", "internal/execshim", "internal/ipc", "internal/notify", "internal/fdwait", "internal/rawio"}
	checked := map[string]bool{}
	for _, p := range pkgs {
		checked[mod+p] = true
	}
	for _, pkg := range pkgs {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", mod+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, d := range strings.Fields(string(out)) {
			if !checked[d] {
				t.Errorf("%s imports %s; it must use the standard library only", pkg, d)
			}
		}
	}
}

// TestShimImportsOnlySyscall: the exec shim runs from its package's init
// before the rest of tend is initialised only while it imports nothing
// but syscall (Go initialises the first ready package by import path;
// importing os or fmt would put their whole init, and everything before
// them, first).
func TestShimImportsOnlySyscall(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{join .Imports \" \"}}", mod+"internal/execshim").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "syscall" {
		t.Errorf("internal/execshim imports %q; want syscall only", got)
	}
}
