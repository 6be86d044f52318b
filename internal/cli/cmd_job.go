package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/spec"
)

func newRunNowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "run-now <job>",
		Short: "Run a scheduled job at once, by its concurrency rule (tend start JOB does the same)",
		Long: `run-now starts a run of a job (an app with schedule:) now, as its schedule
would: with concurrency forbid (the default) it refuses while a run is
going; with replace it stops that run first; with allow it starts one more
if a slot is free (instances). A stopped job is enabled again.
tend show JOB lists its last runs.`,
		Example: "  tend run-now backup\n  tend show backup",
		Args:    exactArgs(1, "a job: an app with schedule:"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			res, err := c.Act(args[0], "run", apitype.ActionRequest{})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(res.Instances)
			}
			fmt.Fprintf(Stdout, "started a run of %s\n", args[0])
			printTable(res.Instances)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the instances as JSON")
	return cmd
}

// jobStatus is a job instance's status in ls: "scheduled (last ok, next
// 03:00:00)" between runs, the state while one goes.
func jobStatus(i apitype.Instance) string {
	var parts []string
	if r := i.LastRun; r != nil {
		parts = append(parts, "last "+r.Result)
	}
	if t := i.NextRun; t != nil {
		parts = append(parts, "next "+nextWords(*t, time.Now()))
	}
	st := i.Status
	if st == "stopped" && i.NextRun != nil {
		st = "scheduled"
	}
	if len(parts) == 0 {
		return st
	}
	return st + " (" + strings.Join(parts, ", ") + ")"
}

// nextWords is a time to come as a clock, with the date when not today.
func nextWords(t, now time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); now.Local().Year() == y && now.Local().Month() == m && now.Local().Day() == d {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}

// printRuns is show's table of a job's last runs, newest first, with the
// stderr tail of the failed ones.
func printRuns(runs []spec.JobRun) {
	if len(runs) == 0 {
		fmt.Fprintln(Stdout, "\nruns: none yet")
		return
	}
	fmt.Fprintf(Stdout, "\nlast %d runs, newest first:\n", len(runs))
	tw := tabwriter.NewWriter(Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  START\tDUE\tDURATION\tEXIT\tRESULT\tREASON")
	for k := len(runs) - 1; k >= 0; k-- {
		r := runs[k]
		due := "now"
		if !r.Due.IsZero() {
			due = r.Due.Local().Format("15:04:05")
		}
		exit := "-"
		switch {
		case r.Signal != "":
			exit = r.Signal
		case r.ExitCode != nil:
			exit = fmt.Sprint(*r.ExitCode)
		}
		dur := "-"
		if r.Result != spec.RunSkipped {
			dur = human(time.Duration(r.DurationMS) * time.Millisecond)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", r.Start.Local().Format("2006-01-02 15:04:05"), due, dur, exit, r.Result, r.Reason)
	}
	tw.Flush()
	for k := len(runs) - 1; k >= 0; k-- {
		if r := runs[k]; len(r.Stderr) > 0 {
			fmt.Fprintf(Stdout, "  stderr of the %s run at %s:\n", r.Result, r.Start.Local().Format("15:04:05"))
			fmt.Fprint(Stdout, indent(r.Stderr, "    | "))
			break // the newest failure's: older ones are in --json
		}
	}
}
