package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// Shell completion of app and instance names, asked of a running daemon
// (never one started for it): nothing when none runs.

// appNames are the apps the daemon has, "all", and with instances each
// name:N.
func appNames(instances bool) []string {
	c, err := connectNoStart()
	if err != nil {
		return nil
	}
	ins, err := c.List()
	if err != nil {
		return nil
	}
	out := []string{"all"}
	for _, i := range ins {
		if !slices.Contains(out, i.Name) {
			out = append(out, i.Name)
		}
		if instances {
			out = append(out, i.ID)
		}
	}
	return out
}

// completeApps completes the first argument with app names (and name:N
// with instances); files too when files is set (start, stop FILE).
func completeApps(instances, files bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		dir := cobra.ShellCompDirectiveNoFileComp
		if files {
			dir = cobra.ShellCompDirectiveDefault
		}
		if len(args) > 0 {
			return nil, dir
		}
		var out []string
		for _, n := range appNames(instances) {
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
		return out, dir
	}
}

// addCompletion gives each verb that takes an app its completion.
func addCompletion(root *cobra.Command) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "stop", "restart", "reload":
			c.ValidArgsFunction = completeApps(true, true)
		case "delete":
			c.ValidArgsFunction = completeApps(false, true)
		case "start":
			c.ValidArgsFunction = completeApps(false, true)
		case "send", "logs":
			c.ValidArgsFunction = completeApps(true, false)
		case "show", "scale", "flush", "events", "tasks", "task":
			c.ValidArgsFunction = completeApps(false, false)
		case "signal":
			apps := completeApps(true, false)
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				if len(args) == 0 {
					var out []string
					for _, s := range []string{"SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGKILL", "SIGSTOP", "SIGCONT", "SIGQUIT"} {
						if strings.HasPrefix(s, strings.ToUpper(toComplete)) {
							out = append(out, s)
						}
					}
					return out, cobra.ShellCompDirectiveNoFileComp
				}
				return apps(cmd, args[1:], toComplete)
			}
		}
	}
}
