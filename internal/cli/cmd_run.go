package cli

import (
	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/config"
)

func newRunCmd(h Hooks) *cobra.Command {
	var (
		asJSON  bool
		profile string
		only    []string
	)
	cmd := &cobra.Command{
		Use:   "run <file>",
		Short: "Run an ecosystem file in the foreground, with no daemon (a container's entrypoint)",
		Long: `Run the apps of an ecosystem file in the foreground, as a container's
PID 1: app output on stdout prefixed with the app name (--json for JSON
lines), state changes on stderr, every orphan reaped. SIGTERM or SIGINT
stops every app gracefully and exits 0; when every app has ended on its
own, tend exits with 0 if all ended cleanly, else an app's exit code.`,
		Args: exactArgs(1, "one ecosystem file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			apps, err := loadFile(args[0], config.Options{Profile: profile, Only: only})
			if err != nil {
				return err
			}
			code, err := h.Run(apps, asJSON, Stdout, Stderr)
			if err != nil {
				return err
			}
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print output and events as JSON lines")
	cmd.Flags().StringVar(&profile, "env", "", "use each app's env_<profile>")
	cmd.Flags().StringSliceVar(&only, "only", nil, "run only these apps (a,b)")
	return cmd
}
