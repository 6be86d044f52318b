package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/spec"
)

func newEventsCmd() *cobra.Command {
	var (
		lines          int
		since          string
		follow, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "events [name]",
		Short: "Print state changes with their reasons; -f follows",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"lines": {strconv.Itoa(lines)}}
			if len(args) == 1 {
				q.Set("app", args[0])
			}
			if follow {
				q.Set("follow", "1")
			}
			if since != "" {
				at, err := parseWhen(since, time.Now())
				if err != nil {
					return usagef("--since: %v", err)
				}
				q.Set("since", at.Format(time.RFC3339Nano))
				if !cmd.Flags().Changed("lines") {
					q.Set("lines", strconv.Itoa(maxSinceEvents)) // all of them since then
				}
			}
			return stream("/v1/events", q, asJSON, func(b []byte) (string, error) {
				var e spec.Event
				if err := json.Unmarshal(b, &e); err != nil {
					return "", err
				}
				return formatEvent(e), nil
			})
		},
	}
	cmd.Flags().IntVarP(&lines, "lines", "n", 50, "how many past events (with --since, all of them unless given)")
	cmd.Flags().StringVar(&since, "since", "", "only events since a time: 1h (ago) or 2026-11-26T14:00:00Z")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new events")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")
	return cmd
}

// maxSinceEvents bounds what --since asks for: an app keeps at most
// 100,000 events (store.MaxPerApp).
const maxSinceEvents = 100_000

func formatEvent(e spec.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", e.Time.Format("2006-01-02 15:04:05.000"), e.App)
	if e.Instance >= 0 { // -1: the app's, not one instance's
		fmt.Fprintf(&b, ":%d", e.Instance)
	}
	if e.To != "" {
		fmt.Fprintf(&b, " %s → %s", e.From, e.To)
	}
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	for _, l := range e.Stderr {
		b.WriteString("\n    | " + l)
	}
	return b.String()
}
