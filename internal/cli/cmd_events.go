package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/spec"
)

func newEventsCmd() *cobra.Command {
	var (
		lines          int
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
			return stream("/v1/events", q, asJSON, func(b []byte) (string, error) {
				var e spec.Event
				if err := json.Unmarshal(b, &e); err != nil {
					return "", err
				}
				return formatEvent(e), nil
			})
		},
	}
	cmd.Flags().IntVarP(&lines, "lines", "n", 50, "how many past events")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new events")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")
	return cmd
}

func formatEvent(e spec.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s:%d", e.Time.Format("2006-01-02 15:04:05.000"), e.App, e.Instance)
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
