package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/client"
	"github.com/tend-pm/tend/internal/config"
	"github.com/tend-pm/tend/internal/spec"
)

type startFlags struct {
	name, cwd, restart, stopSignal, interpreter  string
	killTimeout, minUptime, restartWindow, delay string
	instances                                    string
	ready, readyLine, readyTimeout, watchdog     string
	ipc, listenMode                              string
	user, group                                  string
	health, readiness, maxMemory, cron           string
	memoryMax, memoryHigh, cpuQuota              string
	pidsMax, cpuWeight                           int
	probeInterval, probeTimeout, probeStart      string
	maxRestarts, probeFailures                   int
	env, only, listen                            []string
	shell, json, shutdownMessage, watch          bool
	noAutorestart, merge, timestamps, force      bool
	timeSet                                      bool // --time given, true or false
	out, errOut, dateFormat                      string
	ignoreWatch                                  []string
}

func newStartCmd() *cobra.Command {
	var f startFlags
	cmd := &cobra.Command{
		Use:   "start <program|file.yaml|name> [flags] [-- args...]",
		Short: "Start a program, the apps of an ecosystem file, or a stopped app",
		Long: `Start a program by argv (no shell unless --shell), every app of an
ecosystem file (.yaml, .yml, .json), or an app that was stopped.

A .js/.mjs/.cjs script runs with node and a .py script with python3.
Arguments after -- go to the program.`,
		Example: `  tend start ./server --name api -- --port 3000
  tend start app.js
  tend start --shell "python3 -m http.server 8000" --name web
  tend start ecosystem.yaml
  tend start api`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if dash > 1 || (dash < 0 && len(args) > 1) {
				return usagef("start takes one program; put its arguments after --: tend start %s -- %s",
					args[0], strings.Join(args[1:], " "))
			}
			return runStart(cmd, f, args[0], args[1:])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "app name (default: the program's base name)")
	fl.StringVar(&f.cwd, "cwd", "", "working directory (default: the current one)")
	fl.StringVar(&f.user, "user", "", "run as this user, a name or uid (the daemon must be root)")
	fl.StringVar(&f.group, "group", "", "run with this group, a name or gid (default: the user's own)")
	fl.StringArrayVar(&f.env, "env", nil, "set a variable, `K=V` (repeatable); with a file, a profile name picks its env_<profile>")
	fl.StringSliceVar(&f.only, "only", nil, "with a file: start only these apps (a,b)")
	fl.StringArrayVar(&f.listen, "listen", nil, "a socket the daemon binds and shares with every instance: tcp://HOST:PORT or unix:///PATH (repeatable)")
	fl.StringVar(&f.restart, "restart", "", "restart policy: always, on-failure or never (default always)")
	fl.StringVar(&f.stopSignal, "stop-signal", "", "signal that asks the app to stop (default SIGTERM)")
	fl.StringVar(&f.killTimeout, "kill-timeout", "", "wait this long after the stop signal before SIGKILL (default 10s)")
	fl.StringVar(&f.minUptime, "min-uptime", "", "a run shorter than this counts as a crash for backoff (default 1s)")
	fl.IntVar(&f.maxRestarts, "max-restarts", 0, "give up (errored) after this many restarts within --restart-window (default: never give up)")
	fl.StringVar(&f.restartWindow, "restart-window", "", "the window of --max-restarts (default 60s)")
	fl.StringVar(&f.delay, "restart-delay", "", "wait this long before each restart")
	fl.StringVar(&f.interpreter, "interpreter", "", "run the script with this program (none: run it directly)")
	fl.StringVarP(&f.instances, "instances", "i", "", "number of instances, or max for one per CPU")
	fl.BoolVar(&f.shell, "shell", false, "run the program as a /bin/sh -c command line")
	fl.StringVar(&f.listenMode, "listen-mode", "", "shared (one socket for all instances, the default) or reuseport (one SO_REUSEPORT socket each)")
	fl.StringVar(&f.ready, "ready", "", "when an instance is online: auto, ipc (it sends ready), notify (sd_notify READY=1) or log (a line matches --ready-log-line)")
	fl.StringVar(&f.readyLine, "ready-log-line", "", "a regular expression an output line matches once the app is ready (implies --ready log)")
	fl.StringVar(&f.readyTimeout, "ready-timeout", "", "how long an instance may take to be ready (default 30s)")
	fl.StringVar(&f.watchdog, "watchdog", "", "restart an instance that goes this long without sd_notify WATCHDOG=1")
	fl.StringVar(&f.maxMemory, "max-memory-restart", "", "restart an instance whose whole tree stays above this size for 2 samples a second apart (300M, 1G)")
	fl.StringVar(&f.memoryMax, "memory-max", "", "a hard memory limit for the whole tree, enforced by the kernel (64M, 1G)")
	fl.StringVar(&f.memoryHigh, "memory-high", "", "reclaim and throttle the tree above this memory (cgroup memory.high)")
	fl.StringVar(&f.cpuQuota, "cpu-quota", "", "CPU for the whole tree: a share of one core (50%) or cores (1.5)")
	fl.IntVar(&f.cpuWeight, "cpu-weight", 0, "the tree's CPU share under contention, 1 to 10000 (default 100)")
	fl.IntVar(&f.pidsMax, "pids-max", 0, "the most processes and threads the tree may have")
	fl.BoolVar(&f.watch, "watch", false, "restart when a file under the working directory changes (node_modules, .git and logs left out)")
	fl.StringSliceVar(&f.ignoreWatch, "ignore-watch", nil, "with --watch: globs to leave out (a name like *.log matches anywhere; a/b a path)")
	fl.StringVar(&f.cron, "cron-restart", "", "restart on this cron schedule: 5 fields, 6 with seconds first, or @daily and the like")
	fl.StringVar(&f.health, "health", "", "a liveness probe, restarting the instance when it fails: http://…, tcp://HOST:PORT or exec:COMMAND (${PORT} is filled in)")
	fl.StringVar(&f.readiness, "readiness", "", "a readiness probe, gating online and reloads: http://…, tcp://HOST:PORT or exec:COMMAND")
	fl.StringVar(&f.probeInterval, "probe-interval", "", "time between the checks of --health and --readiness (default 10s)")
	fl.StringVar(&f.probeTimeout, "probe-timeout", "", "a check slower than this fails (default 1s)")
	fl.IntVar(&f.probeFailures, "probe-failures", 0, "failures in a row that make a probe failing (default 3)")
	fl.StringVar(&f.probeStart, "probe-start-period", "", "failures before this much uptime do not count (default 0)")
	fl.StringVar(&f.ipc, "ipc", "", "the IPC channel: auto, node, json or off")
	fl.BoolVar(&f.shutdownMessage, "shutdown-with-message", false, "stop by sending shutdown on the IPC channel instead of a signal")
	fl.BoolVar(&f.json, "json", false, "print the started instances as JSON")
	// PM2's start flags.
	fl.BoolVar(&f.noAutorestart, "no-autorestart", false, "do not restart the app when it exits (--restart never)")
	fl.StringVarP(&f.out, "output", "o", "", "the file stdout goes to (default TEND_HOME/logs/NAME-ID-out.log)")
	fl.StringVarP(&f.errOut, "error", "e", "", "the file stderr goes to (default TEND_HOME/logs/NAME-ID-err.log)")
	fl.BoolVar(&f.merge, "merge-logs", false, "write every instance to one pair of files")
	fl.BoolVar(&f.timestamps, "time", false, "prefix each log line with its time (tend's default; --time=false turns it off)")
	fl.StringVar(&f.dateFormat, "log-date-format", "", "the time prefix's layout, as PM2's (YYYY-MM-DD HH:mm:ss)")
	fl.BoolVarP(&f.force, "force", "f", false, "replace an app of the same name instead of refusing")
	return cmd
}

func runStart(cmd *cobra.Command, f startFlags, what string, args []string) error {
	c, err := connect()
	if err != nil {
		return err
	}
	if config.IsFile(what) {
		opts, err := fileOptions(cmd, f)
		if err != nil {
			return err
		}
		apps, err := loadFile(what, opts)
		if err != nil {
			return err
		}
		ins, err := c.Start(apps, f.force)
		if err != nil {
			return err
		}
		return report(ins, f.json)
	}
	if len(f.only) > 0 {
		return usagef("--only applies to an ecosystem file")
	}
	if prog, rest, spaced := strings.Cut(strings.TrimSpace(what), " "); spaced && !f.shell && !fileExists(what) {
		// "node app.js" is one argv entry: it would run node 'node app.js'.
		return usagef("%q is a command line, not a program; run it through a shell with tend start --shell %q, or give the program and its arguments: tend start %s -- %s",
			what, what, prog, strings.TrimSpace(rest))
	}
	if cmd.Flags().NFlag() == 0 && len(args) == 0 && !strings.Contains(what, "/") && !fileExists(what) {
		// A bare name: start the stopped app of that name, if there is one.
		res, err := c.Act(what, "start", apitype.ActionRequest{})
		if err == nil {
			return report(res.Instances, false)
		}
		if ce, ok := errors.AsType[*client.Error](err); !ok || ce.Code != apitype.CodeUnknownApp {
			return err
		}
	}
	f.timeSet = cmd.Flags().Changed("time")
	app, err := appFromFlags(f, what, args)
	if err != nil {
		return err
	}
	ins, err := c.Start([]*spec.App{app}, f.force)
	if err != nil {
		return err
	}
	return report(ins, f.json)
}

func report(ins []apitype.Instance, asJSON bool) error {
	if asJSON {
		return printJSON(ins)
	}
	printTable(ins)
	return nil
}

// fileOptions checks the flags that apply to a file: --only, --json and
// --env naming a profile.
func fileOptions(cmd *cobra.Command, f startFlags) (config.Options, error) {
	var opts config.Options
	bad := false
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		switch fl.Name {
		case "only", "json", "env", "force":
		default:
			bad = true
		}
	})
	if bad {
		return opts, usagef("with a file only --only, --env PROFILE and --json apply; set the other keys in the file")
	}
	if len(f.env) > 1 || (len(f.env) == 1 && strings.Contains(f.env[0], "=")) {
		return opts, usagef("with a file, --env names one profile (env_<profile> in the file), not K=V")
	}
	if len(f.env) == 1 {
		opts.Profile = f.env[0]
	}
	opts.Only = f.only
	return opts, nil
}

// loadFile reads an ecosystem file, prints its warnings, and captures the
// caller's environment into each app.
func loadFile(path string, opts config.Options) ([]*spec.App, error) {
	res, err := config.Load(path, opts)
	if err != nil {
		return nil, err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(Stderr, "tend: warning: "+w)
	}
	captureEnv(res.Apps)
	return res.Apps, nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// captureEnv records the caller's environment in each app, as PM2 does.
func captureEnv(apps []*spec.App) {
	env := callerEnv()
	for _, a := range apps {
		a.CallerEnv = env
	}
}

// callerEnv is this process's environment without tend's own variables.
func callerEnv() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "TEND_") {
			env[k] = v
		}
	}
	return env
}

// appFromFlags builds one app from the command line.
func appFromFlags(f startFlags, what string, args []string) (*spec.App, error) {
	cwd := f.cwd
	if cwd == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		cwd = wd
	}
	cwd, err := filepath.Abs(cwd)
	if err != nil {
		return nil, err
	}
	a := &spec.App{CronRestart: f.cron, Name: f.name, Script: what, Args: args, Cwd: cwd, Shell: f.shell, Interpreter: f.interpreter, StopSignal: f.stopSignal, MaxRestarts: f.maxRestarts, Listen: f.listen,
		ListenMode: f.listenMode, Ready: f.ready, ReadyLogLine: f.readyLine, IPC: f.ipc, ShutdownWithMessage: f.shutdownMessage,
		User: f.user, Group: f.group}
	if !f.shell {
		if p := filepath.Join(cwd, what); (strings.Contains(what, "/") || spec.InterpreterFor(what) != "") && fileExists(p) {
			a.Script = p
		}
	}
	if a.Name == "" {
		a.Name = spec.DefaultName(what, f.shell)
	}
	if f.noAutorestart {
		if f.restart != "" && f.restart != string(spec.RestartNever) {
			return nil, usagef("--no-autorestart and --restart %s disagree", f.restart)
		}
		f.restart = string(spec.RestartNever)
	}
	a.OutFile, a.ErrorFile, a.MergeLogs, a.LogDateFormat = absOr(f.out), absOr(f.errOut), f.merge, f.dateFormat
	if f.timeSet {
		on := f.timestamps
		a.Time = &on
	}
	if f.restart != "" {
		p, err := spec.ParseRestartPolicy(f.restart)
		if err != nil {
			return nil, fmt.Errorf("--restart: %w", err)
		}
		a.Autorestart = p
	}
	if f.instances != "" {
		n, err := strconv.Atoi(f.instances)
		switch {
		case f.instances == "max":
			n = runtime.NumCPU()
		case err != nil || n < 1:
			return nil, fmt.Errorf("--instances %q: want a number of 1 or more, or max (one per CPU)", f.instances)
		}
		a.Instances = n
	}
	for _, kv := range f.env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--env %q: want KEY=VALUE (a profile name applies to an ecosystem file)", kv)
		}
		if a.Env == nil {
			a.Env = map[string]string{}
		}
		a.Env[k] = v
	}
	durations := []struct {
		flag, val string
		set       func(spec.Duration)
	}{
		{"--kill-timeout", f.killTimeout, func(d spec.Duration) { a.KillTimeout = d }},
		{"--min-uptime", f.minUptime, func(d spec.Duration) { a.MinUptime = &d }},
		{"--restart-window", f.restartWindow, func(d spec.Duration) { a.RestartWindow = d }},
		{"--restart-delay", f.delay, func(d spec.Duration) { a.RestartDelay = d }},
		{"--ready-timeout", f.readyTimeout, func(d spec.Duration) { a.ReadyTimeout = d }},
		{"--watchdog", f.watchdog, func(d spec.Duration) { a.Watchdog = d }},
	}
	for _, pf := range []struct {
		flag, val string
		dst       **spec.Probe
	}{{"--health", f.health, &a.Health}, {"--readiness", f.readiness, &a.Readiness}} {
		if pf.val == "" {
			continue
		}
		p, err := probeFlag(pf.val)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pf.flag, err)
		}
		p.FailureThreshold = f.probeFailures
		*pf.dst = p
		for _, d := range []struct {
			flag, val string
			dst       *spec.Duration
		}{{"--probe-interval", f.probeInterval, &p.Interval}, {"--probe-timeout", f.probeTimeout, &p.Timeout},
			{"--probe-start-period", f.probeStart, &p.StartPeriod}} {
			durations = append(durations, struct {
				flag, val string
				set       func(spec.Duration)
			}{d.flag, d.val, func(v spec.Duration) { *d.dst = v }})
		}
	}
	for _, d := range durations {
		if d.val == "" {
			continue
		}
		v, err := spec.ParseDuration(d.val)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.flag, err)
		}
		d.set(v)
	}
	if f.watch {
		a.Watch = []string{"."}
	}
	a.IgnoreWatch = f.ignoreWatch
	if len(a.IgnoreWatch) > 0 && !f.watch {
		return nil, usagef("--ignore-watch goes with --watch")
	}
	a.CPUQuota, a.CPUWeight, a.PidsMax = f.cpuQuota, f.cpuWeight, f.pidsMax
	for _, z := range []struct {
		flag, val string
		dst       *spec.Size
	}{{"--memory-max", f.memoryMax, &a.MemoryMax}, {"--memory-high", f.memoryHigh, &a.MemoryHigh}} {
		if z.val == "" {
			continue
		}
		v, err := spec.ParseSize(z.val)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", z.flag, err)
		}
		*z.dst = v
	}
	if f.maxMemory != "" {
		z, err := spec.ParseSize(f.maxMemory)
		if err != nil {
			return nil, fmt.Errorf("--max-memory-restart: %w", err)
		}
		a.MaxMemoryRestart = z
	}
	captureEnv([]*spec.App{a})
	return a, a.Validate()
}

// absOr is p made absolute (from the current directory), or "".
func absOr(p string) string {
	if p == "" {
		return ""
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

// probeFlag reads --health and --readiness: an http(s) URL, tcp://HOST:PORT,
// or exec:COMMAND (run by /bin/sh -c).
func probeFlag(v string) (*spec.Probe, error) {
	switch {
	case strings.HasPrefix(v, "http://"), strings.HasPrefix(v, "https://"):
		return &spec.Probe{HTTP: v}, nil
	case strings.HasPrefix(v, "tcp://"):
		return &spec.Probe{TCP: strings.TrimPrefix(v, "tcp://")}, nil
	case strings.HasPrefix(v, "exec:") && strings.TrimSpace(v[5:]) != "":
		return &spec.Probe{Exec: []string{"/bin/sh", "-c", v[5:]}}, nil
	}
	return nil, fmt.Errorf("%q: want http://HOST:PORT/PATH, tcp://HOST:PORT or exec:COMMAND", v)
}
