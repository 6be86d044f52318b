package export

import (
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tend-pm/tend/internal/spec"
)

// File is one file an export writes: its name, mode and text.
type File struct {
	Name string
	Mode uint32
	Text string
}

// LookPath resolves a program name to the absolute path systemd needs;
// the caller gives exec.LookPath (tests give a table).
type LookPath func(string) (string, error)

// Systemd writes units that run apps as tend would, without tend: per
// app a service (a template name@.service and a name.target that wants
// each instance, for instances > 1), a socket per listen: address whose
// sockets the services get as LISTEN_FDS, a timer for a job, and an
// environment file of mode 0600 for secret values, which a unit (world
// readable) must not hold. Apps are canonicalized copies.
func Systemd(apps []*spec.App, look LookPath) ([]File, error) {
	var out []File
	multi := map[string]bool{}
	for _, a := range apps {
		multi[a.Name] = a.Instances > 1
	}
	for _, a := range apps {
		files, err := systemdApp(a, multi, look)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", a.Name, err)
		}
		out = append(out, files...)
	}
	return out, nil
}

// unitOf is how other units name app n: its target when it has several
// instances, else its service.
func unitOf(n string, multi map[string]bool) string {
	if multi[n] {
		return n + ".target"
	}
	return n + ".service"
}

func systemdApp(a *spec.App, multi map[string]bool, look LookPath) ([]File, error) {
	var files []File
	svcName := a.Name + ".service"
	if a.Instances > 1 {
		svcName = a.Name + "@.service"
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("# Exported by tend from app %q.", a.Name)
	line("[Unit]")
	line("Description=%s (exported by tend)", a.Name)
	var after, requires []string
	for _, d := range a.Dependencies() {
		u := unitOf(d.App, multi)
		after = append(after, u)
		requires = append(requires, u)
		switch d.Condition {
		case spec.DependCompleted:
			line("# depends_on %s: completed: %s is Type=oneshot, so After= waits for it to finish.", d.App, u)
		case spec.DependReady:
			line("# depends_on %s: ready: After= waits for its readiness only if it reports it (Type=notify).", d.App)
		}
	}
	socks, err := socketUnits(a)
	if err != nil {
		return nil, err
	}
	var sockNames []string
	for _, f := range socks {
		sockNames = append(sockNames, f.Name)
	}
	after = append(after, sockNames...)
	requires = append(requires, sockNames...)
	if len(after) > 0 {
		line("After=%s", strings.Join(after, " "))
		line("Requires=%s", strings.Join(requires, " "))
	}
	if a.Instances > 1 {
		line("PartOf=%s.target", a.Name)
	}

	line("")
	line("[Service]")
	switch {
	case a.Ready == spec.ReadyNotify:
		line("Type=notify")
		line("NotifyAccess=all")
	case oneShot(a):
		line("Type=oneshot")
		line("RemainAfterExit=yes")
	default:
		line("Type=exec")
	}
	argv := slices.Clone(a.Argv())
	if !strings.Contains(argv[0], "/") {
		p, err := look(argv[0])
		if err != nil {
			return nil, fmt.Errorf("%s: %w (systemd needs its absolute path)", argv[0], err)
		}
		argv[0] = p
	}
	line("ExecStart=%s", execLine(argv))
	if a.Cwd != "" {
		line("WorkingDirectory=%s", quoteArg(a.Cwd))
	}
	if a.User != "" {
		line("User=%s", a.User)
	}
	if a.Group != "" {
		line("Group=%s", a.Group)
	}
	env := map[string]string{}
	maps.Copy(env, a.Env)
	maps.Copy(env, a.ProfileEnv())
	var secret []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if a.IsSecret(k, env[k]) {
			secret = append(secret, k+"="+env[k])
			continue
		}
		line("Environment=%s", quoteEnv(k+"="+env[k]))
	}
	if a.Instances > 1 {
		line("Environment=TEND_INSTANCE=%%i NODE_APP_INSTANCE=%%i")
	}
	line("Environment=TEND_APP=%s", a.Name)
	for _, f := range a.EnvFile {
		line("EnvironmentFile=%s", quoteArg(f))
	}
	if len(secret) > 0 {
		envName := a.Name + ".env"
		line("# Secret values are in %s (mode 0600), not in this unit, which anyone may read.", envName)
		line("EnvironmentFile=/etc/systemd/system/%s", envName)
		files = append(files, File{Name: envName, Mode: 0o600, Text: strings.Join(secret, "\n") + "\n"})
	}
	if len(sockNames) > 0 {
		line("Sockets=%s", strings.Join(sockNames, " "))
	}
	if !oneShot(a) {
		line("Restart=%s", restartOf(a.Autorestart))
		delay := a.RestartDelay.D()
		if delay == 0 {
			delay = a.ExpBackoffRestartDelay.D()
		}
		line("RestartSec=%s", systemdDuration(max(delay, 100_000_000)))
		if a.MaxRestarts > 0 && a.RestartWindow > 0 {
			line("StartLimitIntervalSec=%s", systemdDuration(a.RestartWindow.D()))
			line("StartLimitBurst=%d", a.MaxRestarts)
		}
	}
	if a.KillTimeout > 0 {
		line("TimeoutStopSec=%s", systemdDuration(a.KillTimeout.D()))
	}
	if a.StopSignal != "" {
		line("KillSignal=%s", a.StopSignal)
	}
	line("KillMode=control-group")
	if a.MemoryMax > 0 {
		line("MemoryMax=%d", int64(a.MemoryMax))
	}
	if a.MemoryHigh > 0 {
		line("MemoryHigh=%d", int64(a.MemoryHigh))
	}
	if cores, err := a.CPUCores(); err == nil && cores > 0 {
		line("CPUQuota=%s%%", strconv.FormatFloat(cores*100, 'f', -1, 64))
	}
	if a.CPUWeight > 0 {
		line("CPUWeight=%d", a.CPUWeight)
	}
	if a.PidsMax > 0 {
		line("TasksMax=%d", a.PidsMax)
	}
	if a.IsJob() && a.Timeout > 0 {
		line("RuntimeMaxSec=%s", systemdDuration(a.Timeout.D()))
	}
	if a.Watchdog > 0 {
		line("WatchdogSec=%s", systemdDuration(a.Watchdog.D()))
	}
	for _, note := range unexported(a) {
		line("# Not exported: %s.", note)
	}
	if !a.IsJob() {
		line("")
		line("[Install]")
		if a.Instances > 1 {
			line("WantedBy=%s.target", a.Name)
		} else {
			line("WantedBy=multi-user.target")
		}
	}
	files = append(files, File{Name: svcName, Mode: 0o644, Text: b.String()})

	if a.Instances > 1 {
		var t strings.Builder
		fmt.Fprintf(&t, "# Exported by tend: the %d instances of %q.\n[Unit]\nDescription=%s, %d instances (exported by tend)\n", a.Instances, a.Name, a.Name, a.Instances)
		var wants []string
		for i := range a.Instances {
			wants = append(wants, fmt.Sprintf("%s@%d.service", a.Name, i))
		}
		fmt.Fprintf(&t, "Wants=%s\n\n[Install]\nWantedBy=multi-user.target\n", strings.Join(wants, " "))
		files = append(files, File{Name: a.Name + ".target", Mode: 0o644, Text: t.String()})
	}
	files = append(files, socks...)
	if a.IsJob() {
		timer, err := timerUnit(a)
		if err != nil {
			return nil, err
		}
		files = append(files, timer)
	}
	return files, nil
}

// oneShot is an app that runs once to its end, never restarted
// (migrations; what depends_on completed waits for): Type=oneshot, which
// After= waits to finish. A job is not: its timer starts it again, which
// a oneshot that remains active would not let it.
func oneShot(a *spec.App) bool {
	return !a.IsJob() && a.Autorestart == spec.RestartNever
}

func restartOf(p spec.RestartPolicy) string {
	switch p {
	case spec.RestartOnFailure:
		return "on-failure"
	case spec.RestartNever:
		return "no"
	}
	return "always"
}

// unexported names the keys systemd has no word for.
func unexported(a *spec.App) []string {
	var out []string
	if a.MaxMemoryRestart > 0 {
		out = append(out, fmt.Sprintf("max_memory_restart %s (MemoryMax= kills instead of restarting gracefully)", a.MaxMemoryRestart))
	}
	if a.Health != nil || a.Readiness != nil {
		out = append(out, "health and readiness probes (systemd has none; WatchdogSec= is the nearest)")
	}
	if a.CronRestart != "" {
		out = append(out, "cron_restart "+a.CronRestart+" (a timer running systemctl restart would)")
	}
	if len(a.Watch) > 0 {
		out = append(out, "watch (a .path unit running systemctl restart would)")
	}
	if a.IsJob() && a.Concurrency != "" && a.Concurrency != spec.ConcurrencyForbid {
		out = append(out, "concurrency "+a.Concurrency+" (a timer never starts a service that is still running: forbid)")
	}
	if a.ListenMode == spec.ListenReusePort {
		out = append(out, "listen_mode reuseport (every instance shares the socket unit's sockets)")
	}
	return out
}

// socketUnits is a socket unit per listen: address, named as tend names
// the fd in LISTEN_FDNAMES (FileDescriptorName=tcp-3000, unix-app), so an
// app that reads the names finds the same ones under systemd.
func socketUnits(a *spec.App) ([]File, error) {
	var out []File
	for _, l := range a.Listen {
		network, address, err := spec.ParseListen(l)
		if err != nil {
			return nil, err
		}
		var fdName, stream string
		switch network {
		case "unix":
			base := filepath.Base(address)
			fdName, stream = "unix-"+strings.TrimSuffix(base, filepath.Ext(base)), address
		default:
			_, port, _ := net.SplitHostPort(address)
			if port == "0" {
				return nil, fmt.Errorf("listen %s: port 0 (the kernel's choice) has no socket unit; declare a port", l)
			}
			fdName, stream = "tcp-"+port, address
			if strings.HasPrefix(address, ":") {
				stream = port // every address, as tcp://:PORT means
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Exported by tend: %s of %q, passed to it as LISTEN_FDS.\n[Unit]\nDescription=%s %s (exported by tend)\n\n[Socket]\n", l, a.Name, a.Name, fdName)
		fmt.Fprintf(&b, "ListenStream=%s\nFileDescriptorName=%s\n", stream, fdName)
		if a.Instances > 1 {
			fmt.Fprintf(&b, "Service=%s@0.service\n", a.Name)
		}
		fmt.Fprintf(&b, "ReusePort=%v\n\n[Install]\nWantedBy=sockets.target\n", a.ListenMode == spec.ListenReusePort)
		out = append(out, File{Name: a.Name + "-" + fdName + ".socket", Mode: 0o644, Text: b.String()})
	}
	return out, nil
}

func timerUnit(a *spec.App) (File, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "# Exported by tend: the schedule of job %q (%s).\n[Unit]\nDescription=%s schedule (exported by tend)\n\n[Timer]\n", a.Name, a.Schedule, a.Name)
	when, err := OnCalendar(a.Schedule, a.CronTimezone)
	if err != nil {
		return File{}, err
	}
	fmt.Fprintf(&b, "%s\n", when)
	if a.CatchUp {
		fmt.Fprintf(&b, "Persistent=true\n")
	}
	fmt.Fprintf(&b, "AccuracySec=1s\n\n[Install]\nWantedBy=timers.target\n")
	return File{Name: a.Name + ".timer", Mode: 0o644, Text: b.String()}, nil
}

// execLine is argv as ExecStart takes it, each word by quoteArg.
func execLine(argv []string) string {
	words := make([]string, len(argv))
	for i, w := range argv {
		words[i] = quoteArg(w)
	}
	return strings.Join(words, " ")
}

// systemdDuration is d in systemd's time syntax ("1500ms", "30s").
func systemdDuration(d interface{ Milliseconds() int64 }) string {
	ms := d.Milliseconds()
	if ms%1000 == 0 {
		return strconv.FormatInt(ms/1000, 10) + "s"
	}
	return strconv.FormatInt(ms, 10) + "ms"
}
