package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/buildinfo"
)

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the CLI's version, and the daemon's if one runs",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := map[string]string{"version": buildinfo.Version, "build": buildinfo.Build()}
			if c, err := daemonClient(); err == nil {
				if v, err := c.Version(); err == nil {
					out["daemon_build"] = v.Build
				}
			}
			if asJSON {
				return printJSON(out)
			}
			fmt.Fprintf(Stdout, "tend %s (build %s)\n", out["version"], out["build"])
			if b, ok := out["daemon_build"]; ok {
				fmt.Fprintf(Stdout, "daemon build %s\n", b)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
