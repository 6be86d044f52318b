package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/client"
	"github.com/tend-pm/tend/internal/export"
)

// systemdDir is where system units go; a variable for tests.
var systemdDir = "/etc/systemd/system"

// daemonUnit is the unit of this user's daemon, and where it goes.
func daemonUnit() (u export.DaemonUnit, path string, err error) {
	home, err := client.Home()
	if err != nil {
		return u, "", err
	}
	exe, err := client.Self()
	if err != nil {
		return u, "", err
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	u = export.DaemonUnit{Exe: exe, Home: home, User: os.Geteuid() != 0}
	if me, err := user.Current(); err == nil {
		u.RunAs = me.Username
	}
	name := u.Name(os.Getenv("TEND_HOME") == "")
	dir := systemdDir
	if u.User {
		cfg, err := os.UserConfigDir()
		if err != nil {
			return u, "", fmt.Errorf("find the user's systemd directory: %w", err)
		}
		dir = filepath.Join(cfg, "systemd", "user")
	}
	return u, filepath.Join(dir, name), nil
}

// systemdRuns reports whether systemd is this machine's init, as
// sd_booted(3) decides it.
func systemdRuns() bool {
	fi, err := os.Stat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// initName is PID 1's command, for the message that it is not systemd.
func initName() string {
	b, err := os.ReadFile("/proc/1/comm")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

func systemctl(u export.DaemonUnit, args ...string) error {
	if u.User {
		args = append([]string{"--user"}, args...)
	}
	out, err := exec.Command("systemctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("systemctl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func newStartupCmd() *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "startup",
		Short: "Start the daemon, and so every stored app, at boot: write and enable a systemd unit",
		Long: `startup writes a systemd unit that runs "tend daemon run" for this
TEND_HOME, enables it and starts it: as root a system unit in
/etc/systemd/system, otherwise a user unit in ~/.config/systemd/user (a
user's units start at boot only with lingering: startup says how to turn
it on). The unit is Type=notify (the daemon is ready once every stored app
is restored), Restart=always (systemd starts it again 100 ms after it dies,
kill -9 included, and it brings the apps back), KillMode=process (the
daemon stops its apps itself, dependents first, each within its
kill_timeout). A daemon already running outside the unit is stopped first;
the unit's daemon restores its apps. Where systemd is not the init, nothing
is written and startup prints the line to give the init there.`,
		Example: "  tend startup --dry-run    # print the unit\n  tend startup\n  tend unstartup",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, path, err := daemonUnit()
			if err != nil {
				return err
			}
			if dry {
				fmt.Fprintf(Stdout, "# %s\n%s", path, u.Text())
				return nil
			}
			if !systemdRuns() {
				return fmt.Errorf("startup: this machine's init is %q, not systemd, so there is no unit to enable and nothing was written.\n"+
					"Have your init run the daemon in the foreground:\n  TEND_HOME=%s %s daemon run\n"+
					"or run one file's apps as a container's PID 1:\n  %s run ecosystem.yaml\n"+
					"(`tend startup --dry-run` prints the unit systemd would use)", initName(), u.Home, u.Exe, u.Exe)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return fmt.Errorf("startup: %w", err)
			}
			if err := writeFileAtomic(path, []byte(u.Text()), 0o644); err != nil {
				return fmt.Errorf("startup: write %s: %w", path, err)
			}
			fmt.Fprintf(Stdout, "wrote %s\n", path)
			// A daemon outside the unit holds TEND_HOME's lock: the unit's
			// could not start. Its apps stop now and come back under it.
			c := client.New(u.Home, nil)
			if pid, err := c.StopDaemon(6 * time.Minute); err == nil {
				fmt.Fprintf(Stdout, "stopped the daemon running outside the unit (pid %d); the unit's brings its apps back\n", pid)
			} else if !errors.Is(err, client.ErrNoDaemon) {
				return fmt.Errorf("startup: stop the running daemon: %w", err)
			}
			name := filepath.Base(path)
			if err := systemctl(u, "daemon-reload"); err != nil {
				return err
			}
			if err := systemctl(u, "enable", "--now", name); err != nil {
				return err
			}
			fmt.Fprintf(Stdout, "enabled and started %s: the daemon and its apps start at boot, and systemd restarts the daemon if it dies\n", name)
			if u.User {
				if out, err := exec.Command("loginctl", "show-user", u.RunAs, "--property=Linger").Output(); err != nil || strings.TrimSpace(string(out)) != "Linger=yes" {
					fmt.Fprintf(Stdout, "lingering is off for %s: the unit starts at your login, not at boot. To start it at boot: sudo loginctl enable-linger %s\n", u.RunAs, u.RunAs)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "print the unit and where it would go; change nothing")
	return cmd
}

func newUnstartupCmd() *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "unstartup",
		Short: "Undo tend startup: disable and remove the daemon's systemd unit",
		Long: `unstartup stops and disables the unit tend startup wrote, removes it and
reloads systemd. The daemon stops with it, and its apps with the daemon
(their desired state is kept): the next tend command starts a daemon
outside the unit, which brings them back.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, path, err := daemonUnit()
			if err != nil {
				return err
			}
			name := filepath.Base(path)
			if dry {
				fmt.Fprintf(Stdout, "would run: systemctl disable --now %s; remove %s; systemctl daemon-reload\n", name, path)
				return nil
			}
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("unstartup: there is no %s: tend startup was not run for TEND_HOME=%s", path, u.Home)
			}
			if systemdRuns() {
				if err := systemctl(u, "disable", "--now", name); err != nil {
					return err
				}
			}
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("unstartup: %w", err)
			}
			if systemdRuns() {
				if err := systemctl(u, "daemon-reload"); err != nil {
					return err
				}
			}
			fmt.Fprintf(Stdout, "disabled and removed %s\n", path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "print what would be done; change nothing")
	return cmd
}
