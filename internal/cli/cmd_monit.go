package cli

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/monit"
)

func newMonitCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "monit",
		Aliases: []string{"dash", "top"},
		Short:   "A live terminal dashboard: apps with CPU and memory sparklines, details, logs; keys to restart, reload, stop, start, delete",
		Long: `A live terminal dashboard. The list shows every instance with its status,
CPU and memory (sparklines of the last minute, from the daemon's history),
restarts and readiness; below it the selected instance's details (spec,
tree, last exit, restart decision) and its logs, following live.

Keys: ↑/↓ or k/j select, r restart, R reload, s stop, S start, d delete
(asks first), / filter by name, ? help, q or Ctrl-C quit.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isTerminal(os.Stdout.Fd()) || !isTerminal(os.Stdin.Fd()) {
				return usageError{errors.New("monit needs a terminal; for a script use tend ls --json, tend show --history --json or tend events -f")}
			}
			c, err := connect()
			if err != nil {
				return err
			}
			// Started (if it was not) for the first read; after that a
			// daemon someone stopped stays stopped: the header says so.
			if _, err := c.List(); err != nil {
				return err
			}
			c.Spawn = nil
			return monit.Run(c)
		},
	}
}
