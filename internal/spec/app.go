package spec

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// App is one named definition: what to run and how to keep it running.
// Field names follow PM2's ecosystem keys where one exists (DESIGN §5).
type App struct {
	Name string `json:"name" yaml:"name"`
	// Script is the program (argv[0]) or, with Shell, a shell command line.
	Script string   `json:"script" yaml:"script"`
	Args   []string `json:"args,omitempty" yaml:"args,omitempty"`
	// Shell runs Script through /bin/sh -c; off by default: no shell unless asked.
	Shell           bool     `json:"shell,omitempty" yaml:"shell,omitempty"`
	Interpreter     string   `json:"interpreter,omitempty" yaml:"interpreter,omitempty"`
	InterpreterArgs []string `json:"interpreter_args,omitempty" yaml:"interpreter_args,omitempty"`
	Cwd             string   `json:"cwd,omitempty" yaml:"cwd,omitempty"`
	// User and Group are who the app runs as (names or numbers; PM2's uid
	// and gid): real, effective, saved and filesystem ids, supplementary
	// groups from the group database, no capabilities. Empty: the
	// daemon's own. Only a daemon running as root can take another user.
	User      string `json:"user,omitempty" yaml:"user,omitempty"`
	Group     string `json:"group,omitempty" yaml:"group,omitempty"`
	Instances int    `json:"instances,omitempty" yaml:"instances,omitempty"`
	// Listen are sockets the daemon binds once and passes to every
	// instance (LISTEN_FDS): tcp://HOST:PORT, unix:///PATH.
	Listen []string `json:"listen,omitempty" yaml:"listen,omitempty"`
	// ListenMode is shared (one socket for all instances, the default) or
	// reuseport (a SO_REUSEPORT socket per instance).
	ListenMode string `json:"listen_mode,omitempty" yaml:"listen_mode,omitempty"`
	// ExecMode is PM2's: cluster shares what a Node app's instances
	// listen on without listen: (the daemon binds each address at the
	// first listen(port) and passes it to every instance); fork leaves
	// each instance its own. Unset, a Node app of several instances is
	// in cluster mode, as PM2's -i makes it.
	ExecMode string `json:"exec_mode,omitempty" yaml:"exec_mode,omitempty"`

	Env map[string]string `json:"env,omitempty" yaml:"env,omitempty"`
	// EnvFile lists .env files (absolute paths), read in order at every
	// start, so a restart sees their current content.
	EnvFile []string `json:"env_file,omitempty" yaml:"env_file,omitempty"`
	// EnvExpand turns off ${VAR} expansion in env files when false.
	EnvExpand *bool `json:"env_expand,omitempty" yaml:"env_expand,omitempty"`
	// Profiles are the env_<profile> maps of the file; Profile is the one
	// chosen with --env, and its map is laid over Env.
	Profiles    map[string]map[string]string `json:"profiles,omitempty" yaml:"-"`
	Profile     string                       `json:"profile,omitempty" yaml:"-"`
	RequiredEnv []string                     `json:"required_env,omitempty" yaml:"required_env,omitempty"`
	SecretEnv   []string                     `json:"secret_env,omitempty" yaml:"secret_env,omitempty"`
	// CallerEnv is the environment of the CLI that ran `tend start`,
	// captured as PM2 does. It is not written by `save`.
	CallerEnv map[string]string `json:"caller_env,omitempty" yaml:"-"`
	// Source is the absolute path of the file the app was read from, if
	// any: `apply` manages the apps of one file.
	Source string `json:"source,omitempty" yaml:"-"`

	Autorestart   RestartPolicy `json:"autorestart,omitempty" yaml:"autorestart,omitempty"`
	StopExitCodes []int         `json:"stop_exit_codes,omitempty" yaml:"stop_exit_codes,omitempty"`
	RestartDelay  Duration      `json:"restart_delay,omitempty" yaml:"restart_delay,omitempty"`
	// ExpBackoffRestartDelay is the first backoff delay (PM2's key);
	// default 100ms.
	ExpBackoffRestartDelay Duration `json:"exp_backoff_restart_delay,omitempty" yaml:"exp_backoff_restart_delay,omitempty"`
	MaxRestarts            int      `json:"max_restarts,omitempty" yaml:"max_restarts,omitempty"`
	RestartWindow          Duration `json:"restart_window,omitempty" yaml:"restart_window,omitempty"`
	// MinUptime is how long a run must last to count as stable; a nil value
	// means the default (1s), so that 0 can be asked for explicitly.
	MinUptime   *Duration `json:"min_uptime,omitempty" yaml:"min_uptime,omitempty"`
	KillTimeout Duration  `json:"kill_timeout,omitempty" yaml:"kill_timeout,omitempty"`
	StopSignal  string    `json:"stop_signal,omitempty" yaml:"stop_signal,omitempty"`
	// ShutdownWithMessage sends "shutdown" on the IPC channel instead of
	// stop_signal (PM2's key).
	ShutdownWithMessage bool `json:"shutdown_with_message,omitempty" yaml:"shutdown_with_message,omitempty"`

	// Readiness (DESIGN §4, §10). Ready is auto, ipc, notify or log; auto
	// takes the first ready message or READY=1, else min_uptime.
	Ready        string   `json:"ready,omitempty" yaml:"ready,omitempty"`
	ReadyLogLine string   `json:"ready_log_line,omitempty" yaml:"ready_log_line,omitempty"`
	ReadyTimeout Duration `json:"ready_timeout,omitempty" yaml:"ready_timeout,omitempty"`
	// Namespace groups apps (PM2's key): ls shows it, and a command given
	// a namespace acts on every app in it.
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	// Autostart false adds the app stopped (PM2's key): `tend start NAME`
	// starts it. nil means true.
	Autostart *bool `json:"autostart,omitempty" yaml:"autostart,omitempty"`
	// MaxMemoryRestart restarts an instance whose whole tree stays above
	// it for two samples, a second apart (PM2's key and size syntax).
	MaxMemoryRestart Size `json:"max_memory_restart,omitempty" yaml:"max_memory_restart,omitempty"`
	// Resource limits, enforced by the kernel on the instance's whole
	// tree through its cgroup (DESIGN §12): memory_max (past it the
	// kernel kills the tree), memory_high (reclaim and throttle above
	// it), cpu_quota ("50%" of one core, or "1.5" cores), cpu_weight (1 to
	// 10000, 100 the default share) and pids_max.
	MemoryMax  Size   `json:"memory_max,omitempty" yaml:"memory_max,omitempty"`
	MemoryHigh Size   `json:"memory_high,omitempty" yaml:"memory_high,omitempty"`
	CPUQuota   string `json:"cpu_quota,omitempty" yaml:"cpu_quota,omitempty"`
	CPUWeight  int    `json:"cpu_weight,omitempty" yaml:"cpu_weight,omitempty"`
	PidsMax    int    `json:"pids_max,omitempty" yaml:"pids_max,omitempty"`
	// Watch lists paths (relative to Cwd, or absolute) whose changes restart
	// the running instances; watch: true in a file is ["."], the cwd.
	// IgnoreWatch are globs left out (node_modules, .git and the log
	// files always are); WatchDelay is the quiet time that ends a burst
	// of changes (default 500ms).
	Watch       []string `json:"watch,omitempty" yaml:"watch,omitempty"`
	IgnoreWatch []string `json:"ignore_watch,omitempty" yaml:"ignore_watch,omitempty"`
	WatchDelay  Duration `json:"watch_delay,omitempty" yaml:"watch_delay,omitempty"`
	// CronRestart restarts running instances on a schedule (PM2's key): five
	// cron fields, six with seconds, or @daily and the like, in
	// CronTimezone (default: the daemon's zone).
	CronRestart  string `json:"cron_restart,omitempty" yaml:"cron_restart,omitempty"`
	CronTimezone string `json:"cron_timezone,omitempty" yaml:"cron_timezone,omitempty"`
	// Schedule makes the app a job (job.go): it runs at each time of the
	// schedule (cron_restart's syntax, in CronTimezone) instead of being
	// kept up. Concurrency says what a time does while a run is going
	// (forbid, replace, allow up to Instances at once); Timeout stops a
	// run that lasts longer; CatchUp runs once at daemon start if times
	// passed while it was down.
	Schedule    string   `json:"schedule,omitempty" yaml:"schedule,omitempty"`
	Concurrency string   `json:"concurrency,omitempty" yaml:"concurrency,omitempty"`
	Timeout     Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	CatchUp     bool     `json:"catch_up,omitempty" yaml:"catch_up,omitempty"`
	// Health is the liveness probe: failing it restarts the instance.
	// Readiness gates online (with ready: probe, the default when it is
	// set), reloads and dependents; failing it later marks the instance
	// not ready without restarting it.
	Health    *Probe `json:"health,omitempty" yaml:"health,omitempty"`
	Readiness *Probe `json:"readiness,omitempty" yaml:"readiness,omitempty"`
	// Pool makes the instances workers of a task pool.
	Pool *Pool `json:"pool,omitempty" yaml:"pool,omitempty"`
	// DependsOn are the apps this one waits for, each with the condition
	// it must reach first: started, ready or completed (a plain list in a
	// file means started). Propagate restarts this app when one of them
	// is restarted, once it meets its condition again.
	DependsOn map[string]string `json:"depends_on,omitempty" yaml:"depends_on,omitempty"`
	Propagate bool              `json:"propagate,omitempty" yaml:"propagate,omitempty"`
	// Watchdog is the longest an app using sd_notify may go without
	// WATCHDOG=1 before it is restarted; 0: no watchdog.
	Watchdog Duration `json:"watchdog,omitempty" yaml:"watchdog,omitempty"`
	// IPC is the child channel: auto (Node's variables for Node apps,
	// TEND_IPC_FD for all), node, json or off.
	IPC string `json:"ipc,omitempty" yaml:"ipc,omitempty"`

	// Logs (DESIGN §11). Paths are absolute once read from a file.
	OutFile   string `json:"out_file,omitempty" yaml:"out_file,omitempty"`
	ErrorFile string `json:"error_file,omitempty" yaml:"error_file,omitempty"`
	// MergeLogs writes every instance to one pair of files.
	MergeLogs bool   `json:"merge_logs,omitempty" yaml:"merge_logs,omitempty"`
	LogType   string `json:"log_type,omitempty" yaml:"log_type,omitempty"` // plain or json
	// Time prefixes plain lines with a timestamp; nil means on.
	Time          *bool  `json:"time,omitempty" yaml:"time,omitempty"`
	LogDateFormat string `json:"log_date_format,omitempty" yaml:"log_date_format,omitempty"`
	LogMaxSize    Size   `json:"log_max_size,omitempty" yaml:"log_max_size,omitempty"`
	LogMaxFiles   int    `json:"log_max_files,omitempty" yaml:"log_max_files,omitempty"`
	LogCompress   bool   `json:"log_compress,omitempty" yaml:"log_compress,omitempty"`
}

// Log defaults.
const (
	DefaultLogMaxSize  Size = 10 << 20
	DefaultLogMaxFiles      = 10
)

// Timestamps reports whether plain log lines get a timestamp (the default).
func (a *App) Timestamps() bool { return a.Time == nil || *a.Time }

// Defaults (DESIGN §7, §8).
const (
	DefaultMinUptime     = time.Second
	DefaultKillTimeout   = 10 * time.Second
	DefaultStopSignal    = "SIGTERM"
	DefaultRestartWindow = 60 * time.Second
	DefaultReadyTimeout  = 30 * time.Second
	DefaultWatchDelay    = 500 * time.Millisecond
)

// Readiness rules and IPC modes.
const (
	ReadyAuto   = "auto"
	ReadyIPC    = "ipc"
	ReadyNotify = "notify"
	ReadyLog    = "log"
	ReadyProbe  = "probe"

	IPCAuto = "auto"
	IPCNode = "node"
	IPCJSON = "json"
	IPCOff  = "off"

	ListenShared    = "shared"
	ListenReusePort = "reuseport"

	ExecCluster = "cluster"
	ExecFork    = "fork"
)

// ListensOnDemand reports whether a's instances share the addresses they
// listen on without listen: (PM2's cluster mode for Node): exec_mode
// cluster, or several instances of a Node app with no exec_mode.
func (a *App) ListensOnDemand() bool {
	if !a.IsNode() || len(a.Listen) > 0 || a.ExecMode == ExecFork {
		return false
	}
	return a.ExecMode == ExecCluster || a.Instances > 1
}

// Canonicalize fills defaults in place. It is separate from Validate so a
// spec can be shown as written.
func (a *App) Canonicalize() {
	if a.Instances == 0 {
		a.Instances = 1
	}
	if a.Autorestart == "" && a.IsJob() {
		a.Autorestart = RestartNever // a job's run ends; its schedule starts the next
	}
	if a.Concurrency == "" && a.IsJob() {
		a.Concurrency = ConcurrencyForbid
	}
	if a.Autorestart == "" {
		a.Autorestart = RestartAlways
	}
	if a.MinUptime == nil {
		d := Duration(DefaultMinUptime)
		a.MinUptime = &d
	}
	if a.KillTimeout == 0 {
		a.KillTimeout = Duration(DefaultKillTimeout)
	}
	if a.StopSignal == "" {
		a.StopSignal = DefaultStopSignal
	}
	if a.RestartWindow == 0 && a.MaxRestarts > 0 {
		a.RestartWindow = Duration(DefaultRestartWindow)
	}
	if a.Interpreter == "" && !a.Shell {
		a.Interpreter = InterpreterFor(a.Script)
	}
	if a.LogType == "" {
		a.LogType = "plain"
	}
	if a.Ready == "" {
		switch {
		case a.ReadyLogLine != "":
			a.Ready = ReadyLog
		case a.Readiness != nil:
			a.Ready = ReadyProbe
		default:
			a.Ready = ReadyAuto
		}
	}
	for _, p := range []*Probe{a.Health, a.Readiness} {
		if p != nil {
			p.canonicalize()
		}
	}
	if a.Pool != nil {
		a.Pool.canonicalize()
	}
	if a.ReadyTimeout == 0 {
		a.ReadyTimeout = Duration(DefaultReadyTimeout)
	}
	if a.IPC == "" {
		a.IPC = IPCAuto
	}
	if a.ListenMode == "" {
		a.ListenMode = ListenShared
	}
	if a.LogMaxSize == 0 {
		a.LogMaxSize = DefaultLogMaxSize
	}
	if a.LogMaxFiles == 0 {
		a.LogMaxFiles = DefaultLogMaxFiles
	}
}

// InterpreterFor returns the interpreter PM2 users expect for a script by
// its extension, or "" to run it directly.
func InterpreterFor(script string) string {
	switch strings.ToLower(filepath.Ext(script)) {
	case ".js", ".mjs", ".cjs":
		return "node"
	case ".py":
		return "python3"
	}
	return ""
}

// DefaultName is the name of an app that has none: the program's base
// name without its extension (server.js → server), as PM2 names it.
func DefaultName(script string, shell bool) string {
	if shell {
		script, _, _ = strings.Cut(strings.TrimSpace(script), " ")
	}
	base := filepath.Base(script)
	if ext := filepath.Ext(base); ext != "" && ext != base {
		base = strings.TrimSuffix(base, ext)
	}
	var b strings.Builder
	for _, r := range base {
		if r < 128 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	return strings.TrimLeft(b.String(), ".-_")
}

var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// ValidName reports whether name may name an app (it is used in paths).
func ValidName(name string) bool { return nameRE().MatchString(name) && name != "all" }

// Validate reports every problem of a at once, with the limits in force
// (DefaultLimits).
func (a *App) Validate() error { return a.ValidateWith(DefaultLimits()) }

// ValidateWith reports every problem of a at once, within lim. A problem
// with one key is a *FieldError.
func (a *App) ValidateWith(lim Limits) error {
	errs := append(a.checkBounds(lim), a.checkPool()...)
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if !nameRE().MatchString(a.Name) {
		bad("name %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", a.Name)
	}
	if a.Name == "all" {
		bad(`name "all" is reserved: it means every app`)
	}
	if a.Namespace != "" && !ValidName(a.Namespace) {
		bad("app %q: namespace %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", a.Name, a.Namespace)
	}
	if strings.TrimSpace(a.Script) == "" {
		bad("app %q: script is empty: say what to run", a.Name)
	}
	if a.Autorestart != "" {
		if _, err := ParseRestartPolicy(string(a.Autorestart)); err != nil {
			bad("app %q: %v", a.Name, err)
		}
	}
	if a.StopSignal != "" {
		if _, err := ParseSignal(a.StopSignal); err != nil {
			bad("app %q: stop_signal: %v", a.Name, err)
		}
	}
	for k := range a.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			bad("app %q: env key %q: must be non-empty with no '=' or NUL", a.Name, k)
		}
	}
	if a.Profile != "" && a.Profiles[a.Profile] == nil {
		bad("app %q: no env_%s for --env %s", a.Name, a.Profile, a.Profile)
	}
	for _, f := range a.EnvFile {
		if f == "" {
			bad("app %q: env_file: empty path", a.Name)
		}
	}
	if a.LogType != "" && a.LogType != "plain" && a.LogType != "json" {
		bad("app %q: log_type %q: want plain or json", a.Name, a.LogType)
	}
	oneOf := func(key, v string, want ...string) {
		if v != "" && !slices.Contains(want, v) {
			bad("app %q: %s %q: want %s", a.Name, key, v, strings.Join(want, ", "))
		}
	}
	if _, err := a.Identity(); err != nil {
		errs = append(errs, err)
	}
	oneOf("ready", a.Ready, ReadyAuto, ReadyIPC, ReadyNotify, ReadyLog, ReadyProbe)
	if a.Ready == ReadyProbe && a.Readiness == nil && a.Health == nil {
		bad("app %q: ready: probe needs a readiness (or health) probe to pass", a.Name)
	}
	if a.CronRestart != "" {
		if _, err := ParseCron(a.CronRestart, a.CronTimezone); err != nil {
			key := "cron_restart"
			if _, ok := err.(*zoneError); ok {
				key = "cron_timezone"
			}
			errs = append(errs, &FieldError{App: a.Name, Key: key, Msg: err.Error()})
		}
	} else if a.CronTimezone != "" && a.Schedule == "" {
		errs = append(errs, &FieldError{App: a.Name, Key: "cron_timezone", Msg: "is set without cron_restart or schedule"})
	}
	errs = append(errs, a.checkJob()...)
	if a.Health != nil {
		errs = append(errs, a.Health.check(a.Name, "health")...)
	}
	if a.Readiness != nil {
		errs = append(errs, a.Readiness.check(a.Name, "readiness")...)
	}
	errs = append(errs, a.checkDepends()...)
	oneOf("ipc", a.IPC, IPCAuto, IPCNode, IPCJSON, IPCOff)
	oneOf("listen_mode", a.ListenMode, ListenShared, ListenReusePort)
	oneOf("exec_mode", a.ExecMode, ExecCluster, ExecFork)
	if a.ListenMode == ListenReusePort {
		for _, l := range a.Listen {
			if !strings.HasPrefix(l, "tcp") {
				bad("app %q: listen_mode reuseport needs tcp:// addresses, not %s", a.Name, l)
			}
		}
	}
	if a.ReadyLogLine != "" {
		if _, err := regexp.Compile(a.ReadyLogLine); err != nil {
			bad("app %q: ready_log_line: %v", a.Name, err)
		}
	}
	if a.Ready == ReadyLog && a.ReadyLogLine == "" {
		bad("app %q: ready: log needs ready_log_line, a regular expression a line of output matches when the app is ready", a.Name)
	}
	if a.IPC == IPCOff && (a.Ready == ReadyIPC || a.ShutdownWithMessage) {
		bad("app %q: ipc: off leaves no channel for ready: ipc or shutdown_with_message", a.Name)
	}
	return errors.Join(errs...)
}

// Clone returns a deep copy of a.
func (a *App) Clone() *App {
	c := *a
	c.Args = slices.Clone(a.Args)
	c.InterpreterArgs = slices.Clone(a.InterpreterArgs)
	c.SecretEnv = slices.Clone(a.SecretEnv)
	c.EnvFile = slices.Clone(a.EnvFile)
	c.Listen = slices.Clone(a.Listen)
	c.RequiredEnv = slices.Clone(a.RequiredEnv)
	if a.EnvExpand != nil {
		b := *a.EnvExpand
		c.EnvExpand = &b
	}
	if a.Time != nil {
		b := *a.Time
		c.Time = &b
	}
	if a.Autostart != nil {
		b := *a.Autostart
		c.Autostart = &b
	}
	if a.Profiles != nil {
		c.Profiles = make(map[string]map[string]string, len(a.Profiles))
		for k, v := range a.Profiles {
			c.Profiles[k] = cloneMap(v)
		}
	}
	c.StopExitCodes = slices.Clone(a.StopExitCodes)
	c.Health, c.Readiness = a.Health.Clone(), a.Readiness.Clone()
	if a.Pool != nil {
		p := *a.Pool
		c.Pool = &p
	}
	c.Watch, c.IgnoreWatch = slices.Clone(a.Watch), slices.Clone(a.IgnoreWatch)
	c.Env = cloneMap(a.Env)
	c.DependsOn = cloneMap(a.DependsOn)
	c.CallerEnv = cloneMap(a.CallerEnv)
	if a.MinUptime != nil {
		d := *a.MinUptime
		c.MinUptime = &d
	}
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Argv is the command line to execute: interpreter, shell or the program.
func (a *App) Argv() []string {
	if a.Shell {
		line := a.Script
		for _, arg := range a.Args {
			line += " " + ShellQuote(arg)
		}
		return []string{"/bin/sh", "-c", line}
	}
	var argv []string
	if a.Interpreter != "" && a.Interpreter != "none" {
		argv = append(argv, a.Interpreter)
		argv = append(argv, a.InterpreterArgs...)
	}
	argv = append(argv, a.Script)
	return append(argv, a.Args...)
}

// ShellQuote quotes s for /bin/sh when it is not plainly safe.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// MinUptimeD is the effective min_uptime.
func (a *App) MinUptimeD() time.Duration {
	if a.MinUptime == nil {
		return DefaultMinUptime
	}
	return a.MinUptime.D()
}

// IsNode reports whether the app runs on Node, so its IPC channel is
// announced the way Node's child_process does.
func (a *App) IsNode() bool {
	switch a.IPC {
	case IPCNode:
		return true
	case IPCJSON, IPCOff:
		return false
	}
	return filepath.Base(a.Interpreter) == "node" || (a.Interpreter == "" && !a.Shell && filepath.Base(a.Script) == "node")
}

// IsPython reports whether the app runs on a Python interpreter.
func (a *App) IsPython() bool {
	prog := a.Interpreter
	if prog == "" || prog == "none" {
		prog = a.Script
	}
	return !a.Shell && strings.HasPrefix(filepath.Base(prog), "python")
}

// IsSecretKey reports whether an env key should be masked: named in
// secret_env, or looking secret (DESIGN §15).
func (a *App) IsSecretKey(k string) bool {
	if slices.Contains(a.SecretEnv, k) {
		return true
	}
	u := strings.ToUpper(k)
	for _, w := range []string{"TOKEN", "SECRET", "PASSWORD", "KEY"} {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

// Mask is what a secret value is shown as.
const Mask = "*****"

// urlPasswordRE finds the password of a URL's userinfo:
// postgres://user:PASSWORD@host.
var urlPasswordRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/?#@:\s]*:)([^/?#@\s]+)@`)
})

// IsSecret reports whether the value v of key k is, or holds, a secret:
// a secret key, or a URL with a password in it (DATABASE_URL).
func (a *App) IsSecret(k, v string) bool {
	return a.IsSecretKey(k) || urlPasswordRE().MatchString(v)
}

// MaskValue is v as shown: Mask for a secret key, and a URL's password
// replaced (postgres://u:*****@db/x) in any other value.
func (a *App) MaskValue(k, v string) string {
	if a.IsSecretKey(k) {
		return Mask
	}
	return urlPasswordRE().ReplaceAllString(v, "${1}"+Mask+"@")
}

// Masked returns a copy of a with secret env values replaced, and the
// captured caller environment dropped (it is not the app's to show).
func (a *App) Masked() *App {
	c := a.Clone()
	maskMap(c, c.Env)
	for _, m := range c.Profiles {
		maskMap(c, m)
	}
	c.CallerEnv = nil
	return c
}

func maskMap(a *App, m map[string]string) {
	for k, v := range m {
		m[k] = a.MaskValue(k, v)
	}
}

// ProfileEnv is the env of the chosen profile, or nil.
func (a *App) ProfileEnv() map[string]string {
	if a.Profile == "" {
		return nil
	}
	return a.Profiles[a.Profile]
}

// Expands reports whether env files are expanded (the default).
func (a *App) Expands() bool { return a.EnvExpand == nil || *a.EnvExpand }
