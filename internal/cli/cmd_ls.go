package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/client"
)

func newLsCmd() *cobra.Command {
	var asJSON, watch bool
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list", "status", "ps"},
		Short:   "List every instance: status, pid, uptime, restarts, CPU, memory",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			if watch {
				if asJSON {
					return usagef("--watch draws the table; for JSON, run tend ls --json in a loop or follow tend events -f --json")
				}
				return watchList(c)
			}
			if asJSON {
				// The daemon's own encoding of the same type, indented:
				// decoding and encoding it again cost ls a seventh of its
				// CPU with 50 apps.
				raw, err := c.ListJSON()
				if err != nil {
					return err
				}
				return printRawJSON(raw)
			}
			ins, err := c.List()
			if err != nil {
				return err
			}
			return report(ins, false)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "redraw every second, like watch, until Ctrl-C")
	return cmd
}

// watchList redraws the table each second until interrupted: on a
// terminal over the last frame, elsewhere one frame after another.
func watchList(c *client.Client) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tty := stdoutIsTerminal()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		ins, err := c.List()
		if err != nil {
			return err
		}
		if tty {
			fmt.Fprint(Stdout, "\x1b[H\x1b[2J") // home, clear
		}
		fmt.Fprintf(Stdout, "Every 1s: tend ls    %s\n\n", time.Now().Format("2006-01-02 15:04:05"))
		printTable(ins)
		if !tty {
			fmt.Fprintln(Stdout)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
