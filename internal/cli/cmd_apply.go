package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/config"
)

func newApplyCmd() *cobra.Command {
	var (
		dryRun, asJSON bool
		profile        string
		only           []string
	)
	cmd := &cobra.Command{
		Use:   "apply <file>",
		Short: "Make the running apps match a file: start the new, reload or restart the changed, delete the gone; --dry-run shows the plan",
		Long: `Compare an ecosystem file with the running apps and change only what
differs: apps new in the file start; apps whose definition changed take
it by a rolling reload when they run on tend's sockets (listen:, same
listen_mode), as tend reload does, and restart otherwise; apps that came
from this file and left it are deleted; the rest are left alone. A
reload that fails leaves the old generation serving and the old
definition in place, and apply exits 1. Running it twice changes nothing
the second time. The plan names the keys that differ, never their values.`,
		Args: exactArgs(1, "one ecosystem file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := applyFile(args[0], config.Options{Profile: profile, Only: only}, apitype.ApplyRequest{DryRun: dryRun})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(plan)
			}
			printPlan(plan, dryRun)
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	cmd.Flags().StringVar(&profile, "env", "", "use each app's env_<profile>")
	cmd.Flags().StringSliceVar(&only, "only", nil, "apply only these apps (a,b)")
	return cmd
}

// applyFile sends the apps of the file at path to the daemon's apply
// (tend apply, tend reload|restart FILE: req says which) and prints the
// warnings of the plan it carried out.
func applyFile(path string, opts config.Options, req apitype.ApplyRequest) ([]apitype.Change, error) {
	apps, err := loadFile(path, opts)
	if err != nil {
		return nil, err
	}
	source, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c, err := connect()
	if err != nil {
		return nil, err
	}
	req.Apps, req.Source = apps, source
	plan, err := c.Apply(req)
	if err != nil {
		return nil, err
	}
	printWarnings(plan)
	return plan, nil
}

func printWarnings(plan []apitype.Change) {
	for _, c := range plan {
		if c.Warning != "" {
			fmt.Fprintln(Stderr, "warning: "+c.Warning)
		}
	}
}

func printPlan(plan []apitype.Change, dryRun bool) {
	if dryRun {
		fmt.Fprintln(Stdout, "plan (dry run: nothing changed):")
	}
	marks := map[string]string{"added": "+", "changed": "~", "removed": "-", "unchanged": "="}
	tw := tabwriter.NewWriter(Stdout, 0, 0, 2, ' ', 0)
	for _, c := range plan {
		what := c.Action
		if len(c.Fields) > 0 {
			what += ": " + strings.Join(c.Fields, ", ")
		}
		switch c.How {
		case "reload":
			what += " (rolling reload)"
		case "restart":
			what += " (restart)"
		}
		fmt.Fprintf(tw, "%s %s\t%s\n", marks[c.Action], c.App, what)
	}
	tw.Flush()
}
