package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/apitype"
)

func newLogsCmd() *cobra.Command {
	var (
		lines                                int
		follow, out, errs, asJSON, timestamp bool
		nostream                             bool
		since, until, grep                   string
	)
	cmd := &cobra.Command{
		Use:   "logs [name|name:N]",
		Short: "Print the last lines of an app's output, current and rotated files (all apps, interleaved by time, without a name); -f follows",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out && errs {
				return usagef("--out and --err together are the default; give one or neither")
			}
			q := url.Values{"lines": {strconv.Itoa(lines)}}
			if len(args) == 1 {
				q.Set("app", args[0])
			}
			if follow && nostream {
				return usagef("--follow and --nostream disagree; give one")
			}
			// On a terminal logs follow, as pm2 logs does; a pipe or a
			// file gets the last lines and the command ends.
			if follow || (!nostream && !cmd.Flags().Changed("follow") && stdoutIsTerminal()) {
				q.Set("follow", "1")
			}
			for _, t := range []struct{ flag, val string }{{"since", since}, {"until", until}} {
				if t.val == "" {
					continue
				}
				at, err := parseWhen(t.val, time.Now())
				if err != nil {
					return usagef("--%s: %v", t.flag, err)
				}
				q.Set(t.flag, at.Format(time.RFC3339Nano))
			}
			if grep != "" {
				if _, err := regexp.Compile(grep); err != nil {
					return usagef("--grep: %v", err)
				}
				q.Set("grep", grep)
			}
			if out {
				q.Set("stream", "out")
			}
			if errs {
				q.Set("stream", "err")
			}
			color := useColor()
			return stream("/v1/logs", q, asJSON, func(b []byte) (string, error) {
				var l apitype.LogLine
				if err := json.Unmarshal(b, &l); err != nil {
					return "", err
				}
				prefix := ""
				if timestamp && !l.Time.IsZero() {
					prefix = l.Time.Local().Format("2006-01-02 15:04:05.000 ")
				}
				if l.Instance < 0 { // a merged file's plain line: its instance is not known
					prefix += fmt.Sprintf("%s %s |", l.App, l.Stream)
				} else {
					prefix += fmt.Sprintf("%s:%d %s |", l.App, l.Instance, l.Stream)
				}
				if color {
					return paint(prefix, l.App, l.Stream) + " " + l.Line + colorReset, nil
				}
				return prefix + " " + l.Line, nil
			})
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&lines, "lines", "n", 15, "how many past lines per instance and stream")
	fl.BoolVarP(&follow, "follow", "f", false, "keep printing new lines (the default on a terminal)")
	fl.BoolVar(&nostream, "nostream", false, "print the last lines and end, even on a terminal (PM2's flag)")
	fl.BoolVar(&out, "out", false, "stdout only")
	fl.BoolVar(&errs, "err", false, "stderr only")
	fl.BoolVar(&asJSON, "json", false, "print JSON lines")
	fl.BoolVarP(&timestamp, "timestamp", "t", false, "start each line with its time")
	fl.StringVar(&since, "since", "", "only lines since a time: 10m (ago) or 2026-11-26T14:00:00Z")
	fl.StringVar(&until, "until", "", "only lines until a time: 5m (ago) or an RFC 3339 time")
	fl.StringVar(&grep, "grep", "", "only lines that match this regular expression")
	return cmd
}

// parseWhen reads "10m" (that long before now) or an RFC 3339 time.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q: want a duration ago such as 10m, or a time such as 2026-11-26T14:00:00Z", s)
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

func newReloadLogsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reload-logs",
		Short: "Reopen every log file, for an external logrotate that moved them (SIGUSR1 to the daemon does the same)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			if err := c.ReopenLogs(); err != nil {
				return err
			}
			fmt.Fprintln(Stdout, "reopened the log files")
			return nil
		},
	}
}
