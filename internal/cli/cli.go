// Package cli is tend's command line: one cobra verb per file, output to
// the package's Stdout and Stderr, and exit codes (0 ok, 1 failure, 2 usage
// error). It talks to the daemon only through the client and never links
// the daemon side; the daemon's entry points reach it as Hooks from main.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/buildinfo"
	"github.com/tend-pm/tend/internal/client"
	"github.com/tend-pm/tend/internal/execshim"
	"github.com/tend-pm/tend/internal/spec"
)

// Output goes through these, so tests can capture it.
var (
	Stdout io.Writer = os.Stdout
	Stderr io.Writer = os.Stderr
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Hooks are the daemon-side entry points, wired by main.
type Hooks struct {
	// Daemon runs the daemon in the foreground on home, within lim.
	Daemon func(home string, lim spec.Limits) error
	// Helpers are the daemon's helper processes, by their hidden first
	// argument (the cgroup keeper): tend ARG ARGS... runs one.
	Helpers map[string]func(args []string) int
	// Run runs apps in the foreground (tend run) and returns the exit code.
	Run func(apps []*spec.App, json bool, stdout, stderr io.Writer) (int, error)
}

// usageError marks a command line that cannot be understood.
type usageError struct{ error }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitError carries an exit code decided by a command (tend run).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Main runs the CLI with args (without the program name) and returns the
// exit code.
func Main(args []string, hooks Hooks) int {
	if len(args) > 0 && args[0] == execshim.Arg {
		execshim.Main(args[1:]) // does not return
	}
	if len(args) > 0 && hooks.Helpers[args[0]] != nil {
		return hooks.Helpers[args[0]](args[1:])
	}
	root := newRoot(hooks)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	if e, ok := errors.AsType[exitError](err); ok {
		return e.code
	}
	fmt.Fprintln(Stderr, "tend: "+oneLine(err))
	if _, ok := errors.AsType[usageError](err); ok || isCobraUsage(err) {
		fmt.Fprintln(Stderr, "Run 'tend --help' for usage.")
		return ExitUsage
	}
	return ExitFailure
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "\n  ")
}

func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newRoot(h Hooks) *cobra.Command {
	root := &cobra.Command{
		Use:   "tend",
		Short: "tend keeps programs running",
		Long: `tend keeps programs running, in any language: it restarts them when they
crash, keeps their logs, and keeps what you asked for.

The first command starts a daemon; it owns the processes and their state
in TEND_HOME (default ~/.tend). Every app and whether it should run is
stored there as you change it, so when the daemon starts again (the next
tend command starts it, after a daemon stop, a crash or a reboot) each app
comes back as it was. After a reboot the daemon starts by itself only
with "tend startup" (a systemd unit, which also restarts it if it dies);
without it, the next tend command starts it, or have your init run
"tend daemon run".`,
		Version:           buildinfo.Build(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetOut(Stdout)
	root.SetErr(Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newStartCmd(), newStopCmd(), newRestartCmd(), newScaleCmd(), newDeleteCmd(), newSignalCmd(), newSendCmd(), newReloadCmd(), newRunNowCmd(),
		newLsCmd(), newShowCmd(), newLogsCmd(), newFlushCmd(), newReloadLogsCmd(), newEventsCmd(),
		newSaveCmd(), newResurrectCmd(), newApplyCmd(), newEcosystemCmd(), newRunCmd(h), newDaemonCmd(h), newVersionCmd(),
		newStartupCmd(), newUnstartupCmd(), newExportCmd(), newServeCmd(), newMonitCmd(),
		newTaskCmd(), newTasksCmd(),
	)
	addCompletion(root)
	return root
}

// connect returns a client that starts the daemon when none answers.
func connect() (*client.Client, error) {
	home, err := client.Home()
	if err != nil {
		return nil, err
	}
	self, err := client.Self()
	if err != nil {
		return nil, err
	}
	return client.New(home, client.SpawnDaemon(self, home)), nil
}

// connectNoStart returns a client that never starts a daemon.
func connectNoStart() (*client.Client, error) {
	home, err := client.Home()
	if err != nil {
		return nil, err
	}
	return client.New(home, nil), nil
}

// exactArgs is cobra.ExactArgs as a usage error with a clearer message.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s needs %s", cmd.Name(), what)
		}
		return nil
	}
}
