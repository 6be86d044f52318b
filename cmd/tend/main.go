// Command tend keeps programs running. See `tend --help`.
package main

import (
	"io"
	"os"

	"github.com/tend-pm/tend/internal/cli"
	"github.com/tend-pm/tend/internal/daemon"
	"github.com/tend-pm/tend/internal/spec"
)

func main() { os.Exit(cli.Main(os.Args[1:], hooks)) }

// hooks hand the daemon's entry points to the CLI, which must not import
// the daemon side (DESIGN §3).
var hooks = cli.Hooks{
	Daemon:  daemon.Run,
	Helpers: daemon.Helpers,
	Run: func(apps []*spec.App, json bool, stdout, stderr io.Writer) (int, error) {
		return daemon.RunForeground(apps, daemon.RunOptions{JSON: json, Stdout: stdout, Stderr: stderr})
	},
}
