package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/client"
	"github.com/tend-pm/tend/internal/spec"
)

func newDaemonCmd(h Hooks) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "daemon <status|stop>",
		Short: "Ask about the daemon, or stop it (its apps stop and come back with the next daemon)",
	}
	var asJSON bool
	status := &cobra.Command{
		Use:   "status",
		Short: "Say whether a daemon runs, its pid, build and uptime",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := daemonClient()
			if err != nil {
				return err
			}
			v, err := c.Version()
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(v)
			}
			fmt.Fprintf(Stdout, "daemon pid %d, build %s, up %s, %d apps, peak RSS %s, %d goroutines, %d fds\nhome %s\n",
				v.Pid, v.Build, human(time.Since(v.Started)), v.Apps, bytesHuman(v.RSS), v.Goroutines, v.FDs, v.Home)
			return nil
		},
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	stop := &cobra.Command{
		Use:   "stop",
		Short: "Stop the apps (desired state kept) and the daemon",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := daemonClient()
			if err != nil {
				return err
			}
			pid, err := c.StopDaemon(6 * time.Minute)
			if errors.Is(err, client.ErrNoDaemon) {
				fmt.Fprintln(Stdout, "no daemon running")
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(Stdout, "daemon pid %d stopped\n", pid)
			return nil
		},
	}
	lim := spec.DefaultLimits()
	run := &cobra.Command{
		Use:    "run",
		Short:  "Run the daemon in the foreground (the CLI starts it this way)",
		Hidden: true,
		Args:   exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if lim.MaxInstances < 1 {
				return usagef("--max-instances %d: want 1 or more", lim.MaxInstances)
			}
			home, err := client.Home()
			if err != nil {
				return err
			}
			return h.Daemon(home, lim)
		},
	}
	run.Flags().IntVar(&lim.MaxInstances, "max-instances", lim.MaxInstances,
		"the most instances an app may have (default "+spec.MaxInstancesEnv+" or 1024)")
	cmd.AddCommand(status, stop, run)
	return cmd
}

// daemonClient talks to whatever daemon runs, of any build, and starts none.
func daemonClient() (*client.Client, error) {
	c, err := connectNoStart()
	if err != nil {
		return nil, err
	}
	c.AllowOtherBuild = true
	return c, nil
}
