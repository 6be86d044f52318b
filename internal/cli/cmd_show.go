package cli

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/spec"
)

func newShowCmd() *cobra.Command {
	var asJSON, secrets bool
	cmd := &cobra.Command{
		Use:     "show <name>",
		Aliases: []string{"describe", "info"},
		Short:   "Show an app: its spec, each instance's process, last exit, crash output and restart decision",
		Args:    exactArgs(1, "one app name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			a, err := c.Show(args[0], secrets)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(a)
			}
			printApp(a)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&secrets, "show-secrets", false, "show secret env values instead of *****")
	return cmd
}

func printApp(a apitype.App) {
	s := a.Spec
	tw := tabwriter.NewWriter(Stdout, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("name", a.Name)
	row("desired", a.Desired)
	row("command", shellJoin(a.Argv))
	row("cwd", s.Cwd)
	if s.User != "" || s.Group != "" {
		row("runs as", strings.Trim(s.User+":"+s.Group, ":"))
	}
	row("instances", s.Instances)
	for _, l := range a.Listening {
		row("listening", l)
	}
	row("autorestart", s.Autorestart)
	if len(s.StopExitCodes) > 0 {
		row("stop_exit_codes", s.StopExitCodes)
	}
	row("min_uptime", s.MinUptimeD())
	row("restart_delay", s.RestartDelay)
	if s.MaxRestarts > 0 {
		row("max_restarts", fmt.Sprintf("%d in %s", s.MaxRestarts, s.RestartWindow))
	} else {
		row("max_restarts", "never give up")
	}
	row("stop", fmt.Sprintf("%s, then SIGKILL after %s", s.StopSignal, s.KillTimeout))
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		row("env", k+"="+s.Env[k])
	}
	tw.Flush()
	now := time.Now()
	for _, i := range a.Instances {
		printInstance(i, now)
	}
}

func printInstance(i apitype.Instance, now time.Time) {
	fmt.Fprintf(Stdout, "\n%s  %s", i.ID, statusOf(i))
	if i.Reason != "" {
		fmt.Fprintf(Stdout, " (%s)", i.Reason)
	}
	fmt.Fprintln(Stdout)
	tw := tabwriter.NewWriter(Stdout, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "  %s\t%v\n", k, v) }
	if i.AppStatus != "" {
		row("app status", i.AppStatus)
	}
	if i.Pid != 0 {
		row("pid", i.Pid)
		row("uptime", human(time.Duration(i.UptimeMS)*time.Millisecond))
		if i.ReadyBy != "" {
			row("ready by", i.ReadyBy)
		}
		if i.Processes > 0 {
			row("tree", fmt.Sprintf("%d processes, %s RSS, %.1f%% CPU", i.Processes, bytesHuman(i.MemoryBytes), i.CPU))
		}
		if i.HeldBy != "" {
			row("held by", i.HeldBy)
		}
		for _, p := range i.Probes {
			row(p.Role, probeLine(p, now))
		}
		if i.Limits != "" {
			row("limits", i.Limits)
		}
		if t := i.NextCron; t != nil {
			row("cron restart", fmt.Sprintf("next at %s (in %s)", t.Local().Format("2006-01-02 15:04:05"), human(t.Sub(now))))
		}
	}
	if p := i.Process; p != nil {
		row("ppid", p.PPid)
		row("cwd", p.Cwd)
		row("user", p.User+":"+p.Group)
		row("nice", p.Nice)
		row("started", p.StartTime.Format(time.RFC3339))
		row("cpu time", fmt.Sprintf("%.2fs user, %.2fs system", p.CPUUser, p.CPUSystem))
		row("rss", bytesHuman(p.RSS))
		row("open fds", p.FDs)
		row("threads", p.Threads)
	}
	row("restarts", i.Restarts)
	if e := i.LastExit; e != nil {
		how := fmt.Sprintf("exit code %d", e.Code)
		if e.Signal != "" {
			how = "killed by " + e.Signal
		}
		row("last exit", fmt.Sprintf("%s at %s (%s ago)", how, e.Time.Format("15:04:05"), human(now.Sub(e.Time))))
	}
	if i.Decision != "" {
		d := i.Decision
		if i.NextTry != nil {
			d += ", next try " + i.NextTry.Format("15:04:05")
		}
		row("restart decision", d)
	}
	if i.LostLines > 0 {
		row("lost log lines", i.LostLines)
	}
	row("logs", i.OutLog+", "+i.ErrLog)
	tw.Flush()
	if len(i.Crash) > 0 {
		fmt.Fprintln(Stdout, "  stderr of the last crash:")
		fmt.Fprint(Stdout, indent(i.Crash, "    | "))
	}
}

func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = spec.ShellQuote(a)
	}
	return strings.Join(q, " ")
}

// probeLine is one probe in show: what it checks, its verdict, and its
// last result with latency and failures in a row.
func probeLine(p spec.ProbeStatus, now time.Time) string {
	verdict := "not passed yet"
	switch {
	case p.Passing:
		verdict = "passing"
	case p.Failures > 0 && !p.LastOK:
		verdict = fmt.Sprintf("failing (%d in a row)", p.Failures)
	}
	line := p.What + ": " + verdict
	if !p.At.IsZero() {
		line += fmt.Sprintf("; last %s ago: %s in %.1fms", human(now.Sub(p.At)), p.Last, p.LatencyMS)
	}
	if p.Output != "" {
		out := strings.TrimSpace(p.Output)
		if len(out) > 120 {
			out = out[:120] + "…"
		}
		line += "; output " + strconv.Quote(out)
	}
	return line
}
