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
			return stream("/v1/logs", q, asJSON, func(b []byte) (string, error) {
				var l apitype.LogLine
				if err := json.Unmarshal(b, &l); err != nil {
					return "", err
				}
				return fmt.Sprintf("%s:%d %s | %s", l.App, l.Instance, l.Stream, l.Line), nil
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

// stream prints an NDJSON stream of the daemon, raw with --json or
// formatted; SIGINT or SIGTERM ends it without an error.
func stream(path string, q url.Values, asJSON bool, format func([]byte) (string, error)) error {
	c, err := connect()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.Stream(ctx, path, q, func(b []byte) error {
		line := string(b)
		if !asJSON {
			var err error
			if line, err = format(b); err != nil {
				return err
			}
		}
		_, err := fmt.Fprintln(Stdout, line)
		return err
	})
}
