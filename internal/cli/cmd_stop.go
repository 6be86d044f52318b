package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/client"
	"github.com/tend-pm/tend/internal/config"
)

// newActionCmd makes stop and restart: one target, one action, then the
// resulting table.
func newActionCmd(action, short, done string) *cobra.Command {
	var (
		asJSON, updateEnv bool
		file              fileTarget
	)
	cmd := &cobra.Command{
		Use:   action + " <name|name:N|all|file>",
		Short: short,
		Args:  exactArgs(1, "one app: a name, name:N for one instance, all, or an ecosystem file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if config.IsFile(args[0]) {
				if action == "restart" {
					return everyInFile("restart", args[0], file, 1)
				}
				return eachInFile(args[0], file, done, func(c *client.Client, name string) error {
					_, err := c.Act(name, action, apitype.ActionRequest{})
					return err
				})
			}
			if err := file.usedWithout(); err != nil {
				return err
			}
			c, err := connect()
			if err != nil {
				return err
			}
			var req apitype.ActionRequest
			if updateEnv {
				req.CallerEnv = callerEnv()
			}
			res, err := c.Act(args[0], action, req)
			if err != nil {
				return err
			}
			ins := res.Instances
			if asJSON {
				return printJSON(ins)
			}
			fmt.Fprintf(Stdout, "%s %s\n", done, args[0])
			printTable(ins)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the instances as JSON")
	if action == "restart" {
		cmd.Flags().BoolVar(&updateEnv, "update-env", false, "capture this shell's environment anew for the app")
	}
	file.flags(cmd, action == "restart")
	return cmd
}

// fileTarget holds the flags of a verb run on an ecosystem file, as PM2's
// pm2 restart ecosystem.config.js --env production.
type fileTarget struct {
	profile string
	only    []string
}

func (f *fileTarget) flags(cmd *cobra.Command, withProfile bool) {
	if withProfile {
		cmd.Flags().StringVar(&f.profile, "env", "", "with a file: use each app's env_<profile>")
	}
	cmd.Flags().StringSliceVar(&f.only, "only", nil, "with a file: only these apps (a,b)")
}

func (f fileTarget) usedWithout() error {
	if f.profile != "" || len(f.only) > 0 {
		return usagef("--env and --only go with an ecosystem file, as in tend restart ecosystem.yaml --only api")
	}
	return nil
}

// everyInFile is tend reload|restart FILE: every app of the file reloads
// or restarts into the file's definition; new ones start, none is deleted.
func everyInFile(verb, path string, f fileTarget, parallel int) error {
	plan, err := applyFile(path, config.Options{Profile: f.profile, Only: f.only}, apitype.ApplyRequest{Every: verb, Parallel: parallel})
	if err != nil {
		return err
	}
	printPlan(plan, false)
	return nil
}

// eachInFile runs do on every app the file names (stop, delete), going on
// past an error and returning them all.
func eachInFile(path string, f fileTarget, done string, do func(*client.Client, string) error) error {
	apps, err := loadFile(path, config.Options{Only: f.only})
	if err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var errs []error
	for _, a := range apps {
		if err := do(c, a.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(Stdout, "%s %s\n", done, a.Name)
	}
	return errors.Join(errs...)
}

func newStopCmd() *cobra.Command {
	return newActionCmd("stop", "Stop an app (its whole process tree); returns when every process is gone", "stopped")
}

func newRestartCmd() *cobra.Command {
	return newActionCmd("restart", "Stop then start an app", "restarted")
}

func newReloadCmd() *cobra.Command {
	var (
		parallel int
		file     fileTarget
	)
	cmd := &cobra.Command{
		Use:   "reload <name|name:N|all|file>",
		Short: "Replace an app's instances with no downtime: start each new one, wait until it is ready, then stop the old one",
		Long: `Reload replaces each instance in turn (--parallel at once): the new one
starts on the same sockets, and once it is online (ready) the old one stops
gracefully. If a new instance crashes or is not ready within ready_timeout,
tend stops it, the old one keeps serving, and reload exits 1 with the reason.
Env files are read again. An app with no readiness signal draws a warning:
tend can only wait min_uptime for it.

With an ecosystem file (as pm2 reload ecosystem.config.js), every app of
the file reloads into the file's definition: new apps start, changed ones
take their new spec (a listen_mode change restarts), and none is deleted.
A reload that fails leaves that app's old generation serving and its old
definition in place.`,
		Example: "  tend reload api\n  tend reload api --parallel 2\n  tend reload all\n  tend reload ecosystem.yaml --env production",
		Args:    exactArgs(1, "an app, an instance (api:1), all, or an ecosystem file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if parallel < 1 {
				return usagef("--parallel %d: want 1 or more", parallel)
			}
			if config.IsFile(args[0]) {
				return everyInFile("reload", args[0], file, parallel)
			}
			if err := file.usedWithout(); err != nil {
				return err
			}
			c, err := connect()
			if err != nil {
				return err
			}
			res, err := c.Reload(args[0], parallel)
			for _, w := range res.Warnings {
				fmt.Fprintln(Stderr, "warning: "+w)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(Stdout, "reloaded %s\n", args[0])
			printTable(res.Instances)
			return nil
		},
	}
	cmd.Flags().IntVar(&parallel, "parallel", 1, "how many instances to replace at once")
	file.flags(cmd, true)
	return cmd
}

func newDeleteCmd() *cobra.Command {
	var file fileTarget
	cmd := &cobra.Command{
		Use:     "delete <name|all|file>",
		Aliases: []string{"del", "rm"},
		Short:   "Stop an app and forget it",
		Args:    exactArgs(1, "one app name, all, or an ecosystem file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if config.IsFile(args[0]) {
				return eachInFile(args[0], file, "deleted", (*client.Client).Delete)
			}
			if err := file.usedWithout(); err != nil {
				return err
			}
			c, err := connect()
			if err != nil {
				return err
			}
			if err := c.Delete(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(Stdout, "deleted %s\n", args[0])
			return nil
		},
	}
	file.flags(cmd, false)
	return cmd
}

func newSignalCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "signal <SIGNAL> <name|name:N|all>",
		Short:   "Send a signal to an app's process trees",
		Example: "  tend signal SIGUSR2 api\n  tend signal HUP api:1",
		Args:    exactArgs(2, "a signal and an app: tend signal SIGUSR1 api"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			if _, err := c.Act(args[1], "signal", apitype.ActionRequest{Signal: args[0]}); err != nil {
				return err
			}
			fmt.Fprintf(Stdout, "sent %s to %s\n", args[0], args[1])
			return nil
		},
	}
}

func newSendCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "send <name|name:N|all> <json>",
		Short: "Send a JSON message to an app's instances over their IPC channel",
		Long: "Send a JSON value to each addressed instance. A Node app receives it with\n" +
			"process.on('message'); other apps read {\"type\":\"message\",\"data\":…} from TEND_IPC_FD.",
		Example: "  tend send api '{\"cmd\":\"refresh\"}'\n  tend send api:0 '\"ping\"'",
		Args:    exactArgs(2, "an app and a JSON value: tend send api '{\"cmd\":\"refresh\"}'"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !json.Valid([]byte(args[1])) {
				return usagef("send: %.80q is not JSON; a string needs quotes: tend send %s '\"text\"'", args[1], args[0])
			}
			c, err := connect()
			if err != nil {
				return err
			}
			if _, err := c.Act(args[0], "send", apitype.ActionRequest{Message: json.RawMessage(args[1])}); err != nil {
				return err
			}
			fmt.Fprintf(Stdout, "sent to %s\n", args[0])
			return nil
		},
	}
}

func newScaleCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "scale <name> <N|+N|-N>",
		Short:   "Set how many instances of an app run; scaling down stops the highest ids gracefully",
		Example: "  tend scale api 4\n  tend scale api +2\n  tend scale api -1",
		Args:    exactArgs(2, "an app and a count: tend scale api 4"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			req, err := scaleRequest(args[0], args[1])
			if err != nil {
				return err
			}
			res, err := c.Act(args[0], "scale", req)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(res.Instances)
			}
			fmt.Fprintf(Stdout, "scaled %s to %d\n", args[0], len(res.Instances))
			printTable(res.Instances)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the instances as JSON")
	// Flags come before the app, so "-1" after it is a count, not a flag.
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// scaleTarget reads N, +N or -N against the app's current count.
// scaleRequest reads N, +N or -N; the daemon applies +N and -N to the
// count it has, under the app's lock.
func scaleRequest(app, arg string) (apitype.ActionRequest, error) {
	n, err := strconv.Atoi(arg)
	if err != nil {
		return apitype.ActionRequest{}, usagef("scale %s %s: want a number, +N or -N", app, arg)
	}
	return apitype.ActionRequest{Instances: n, Relative: arg[0] == '+' || arg[0] == '-'}, nil
}
