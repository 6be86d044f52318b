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
	var asJSON, secrets, history bool
	var minutes int
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
			if history {
				if minutes < 1 || minutes > 60 {
					return usagef("--minutes %d: want 1 to 60 (the daemon keeps an hour)", minutes)
				}
				hs, err := c.History(args[0], minutes*60)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(hs)
				}
				printHistory(hs, time.Now())
				return nil
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
	cmd.Flags().BoolVar(&history, "history", false, "chart each instance's CPU, memory and open fds, a sample a second (--json: the samples)")
	cmd.Flags().IntVar(&minutes, "minutes", 60, "with --history, how far back: 1 to 60")
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
	if deps := s.Dependencies(); len(deps) > 0 {
		words := make([]string, len(deps))
		for i, d := range deps {
			words[i] = d.String()
		}
		line := strings.Join(words, ", ")
		if s.Propagate {
			line += "; propagate: restarted when one of them is"
		}
		row("depends on", line)
	}
	if s.IsJob() {
		line := s.Schedule
		if s.CronTimezone != "" {
			line += " in " + s.CronTimezone
		}
		line += ", concurrency " + s.Concurrency
		if s.Timeout > 0 {
			line += ", timeout " + s.Timeout.String()
		}
		if s.CatchUp {
			line += ", catch_up"
		}
		row("schedule", line)
	}
	if p := s.Pool; p != nil {
		line := fmt.Sprintf("queue_max %d, task_timeout %s, retries %d, per_worker %d", p.QueueMax, p.TaskTimeout, p.Retries, p.PerWorker)
		if p.MaxTasksPerWorker > 0 {
			line += fmt.Sprintf(", a new worker every %d tasks", p.MaxTasksPerWorker)
		}
		row("pool", line)
		if a.Pool != nil {
			row("tasks", poolLine(a.Pool))
		}
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
	if s.IsJob() {
		printRuns(a.Runs)
	}
}

func printInstance(i apitype.Instance, now time.Time) {
	status := statusOf(i)
	if i.WaitingFor != "" {
		status = i.Status // the reason says what for
	}
	fmt.Fprintf(Stdout, "\n%s  %s", i.ID, status)
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
		if t := i.Tree; t != nil {
			row("tree", fmt.Sprintf("%d processes, %d threads, %d open fds", t.Processes, t.Threads, t.FDs))
			row("tree memory", fmt.Sprintf("%s RSS, peak %s", bytesHuman(t.RSS), bytesHuman(t.PeakRSS)))
			row("tree cpu", fmt.Sprintf("%.1f%% now; %.2fs user, %.2fs system, ended processes included", t.CPUPercent, t.CPUUser, t.CPUSystem))
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
	if t := i.NextRun; t != nil {
		row("next run", fmt.Sprintf("%s (in %s)", t.Local().Format("2006-01-02 15:04:05"), human(t.Sub(now))))
	}
	row("restarts", i.RestartsText())
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
