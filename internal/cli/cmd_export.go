package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/config"
	"github.com/tend-pm/tend/internal/export"
	"github.com/tend-pm/tend/internal/spec"
)

func newExportCmd() *cobra.Command {
	var (
		out     string
		profile string
		image   string
		only    []string
	)
	cmd := &cobra.Command{
		Use:   "export <systemd|kubernetes> [FILE]",
		Short: "Write systemd units or Kubernetes manifests that run the apps without tend",
		Long: `export systemd writes, per app, a service unit as tend would run it:
ExecStart from the argv (the program's absolute path), WorkingDirectory,
User and Group, Environment (secret values go to NAME.env, mode 0600,
which the unit reads), EnvironmentFile for env_file, Restart from
autorestart, RestartSec, TimeoutStopSec from kill_timeout, KillSignal
from stop_signal, MemoryMax, MemoryHigh, CPUQuota, CPUWeight and TasksMax
from the limits, WatchdogSec, Type=notify for ready: notify, Type=oneshot
for one-shot apps and jobs, and After= and Requires= from depends_on. An
app of several instances becomes a template NAME@.service and a
NAME.target that wants each; each listen: address becomes a socket unit
(NAME-tcp-3000.socket, FileDescriptorName=tcp-3000), whose socket the
services get as LISTEN_FDS under tend's names; a job's schedule becomes
NAME.timer. What systemd has no word for is said in a comment.

export kubernetes writes, per app, a Deployment (replicas from instances;
a Job for a one-shot app, a CronJob for a job, with its concurrency,
timeout and catch_up), a Service for its TCP listen: ports, a Secret for
its secret values (read by secretKeyRef), liveness and readiness probes
from health and readiness, resources from the limits and
max_memory_restart, and the grace period from kill_timeout. depends_on
has no Kubernetes equivalent: an annotation and a comment say what the
app waited for. --image names the image (default APP:latest).

The apps are FILE's, or without FILE the daemon's. Without --out the
output is printed (units each after a "# NAME" line); with --out, units
are written to that directory (copy them to /etc/systemd/system, then
systemctl daemon-reload) and manifests to that file (kubectl apply -f).`,
		Example: "  tend export systemd ecosystem.yaml\n  tend export systemd --out ./units\n  sudo cp units/* /etc/systemd/system && sudo systemctl daemon-reload\n  tend export kubernetes ecosystem.yaml --image registry.example/api:1.4 > k8s.yaml",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("want a target and at most one file: tend export systemd [FILE]")
			}
			switch args[0] {
			case "systemd", "kubernetes", "k8s":
				return nil
			}
			return usagef("export %q: want systemd or kubernetes", args[0])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var apps []*spec.App
			var err error
			if len(args) == 2 {
				apps, err = loadFile(args[1], config.Options{Profile: profile, Only: only})
			} else {
				c, cerr := connect()
				if cerr != nil {
					return cerr
				}
				apps, err = c.Specs(true)
			}
			if err != nil {
				return err
			}
			if len(apps) == 0 {
				return fmt.Errorf("export: no apps: name an ecosystem file, or start apps first")
			}
			for _, a := range apps {
				a.Canonicalize()
			}
			if args[0] != "systemd" {
				b, err := export.Kubernetes(apps, image)
				if err != nil {
					return err
				}
				if out == "" {
					_, err = Stdout.Write(b)
					return err
				}
				if err := writeFileAtomic(out, b, 0o600); err != nil { // it holds the Secrets
					return fmt.Errorf("export: write %s: %w", out, err)
				}
				fmt.Fprintln(Stdout, "wrote "+out)
				return nil
			}
			files, err := export.Systemd(apps, exec.LookPath)
			if err != nil {
				return err
			}
			if out == "" {
				for i, f := range files {
					if i > 0 {
						fmt.Fprintln(Stdout)
					}
					fmt.Fprintf(Stdout, "# %s\n%s", f.Name, f.Text)
				}
				return nil
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			for _, f := range files {
				p := filepath.Join(out, f.Name)
				if err := writeFileAtomic(p, []byte(f.Text), os.FileMode(f.Mode)); err != nil {
					return fmt.Errorf("export: write %s: %w", p, err)
				}
				fmt.Fprintln(Stdout, "wrote "+p)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the units to this directory (kubernetes: the manifests to this file) instead of printing them")
	cmd.Flags().StringVar(&image, "image", "", "kubernetes: the container image (default APP:latest)")
	cmd.Flags().StringVar(&profile, "env", "", "with a file: the env_<profile> to export")
	cmd.Flags().StringSliceVar(&only, "only", nil, "with a file: only these apps (a,b)")
	return cmd
}
