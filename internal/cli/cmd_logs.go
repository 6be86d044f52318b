package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/apitype"
)

func newLogsCmd() *cobra.Command {
	var (
		lines                     int
		follow, out, errs, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "logs [name|name:N]",
		Short: "Print the last lines of an app's output (all apps without a name); -f follows",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out && errs {
				return usagef("--out and --err together are the default; give one or neither")
			}
			q := url.Values{"lines": {strconv.Itoa(lines)}}
			if len(args) == 1 {
				q.Set("app", args[0])
			}
			if follow {
				q.Set("follow", "1")
			}
			if out {
				q.Set("stream", "out")
			}
			if errs {
				q.Set("stream", "err")
			}
			c, err := connect()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return c.Stream(ctx, "/v1/logs", q, func(b []byte) error {
				if asJSON {
					_, err := fmt.Fprintf(Stdout, "%s\n", b)
					return err
				}
				var l apitype.LogLine
				if err := json.Unmarshal(b, &l); err != nil {
					return err
				}
				_, err := fmt.Fprintf(Stdout, "%s:%d %s | %s\n", l.App, l.Instance, l.Stream, l.Line)
				return err
			})
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&lines, "lines", "n", 15, "how many past lines per instance and stream")
	fl.BoolVarP(&follow, "follow", "f", false, "keep printing new lines")
	fl.BoolVar(&out, "out", false, "stdout only")
	fl.BoolVar(&errs, "err", false, "stderr only")
	fl.BoolVar(&asJSON, "json", false, "print JSON lines")
	return cmd
}

func newFlushCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "flush [name]",
		Short: "Empty the log files of an app (all apps without a name)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			app := ""
			if len(args) == 1 {
				app = args[0]
			}
			if err := c.Flush(app); err != nil {
				return err
			}
			fmt.Fprintln(Stdout, "flushed logs")
			return nil
		},
	}
}
