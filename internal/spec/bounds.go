package spec

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxInstances is the most instances an app may have unless the
// daemon is given more (--max-instances, or TEND_MAX_INSTANCES for the
// CLI and the daemon it starts). A count is checked at the edge, before
// anything is stored: one typo (scale 99999999999) must not exhaust the
// machine, nor be stored and kill every later daemon.
const DefaultMaxInstances = 1024

// MaxInstancesEnv names the variable that raises the bound for the CLI
// and the daemon it starts.
const MaxInstancesEnv = "TEND_MAX_INSTANCES"

// Limits are the bounds that depend on the daemon.
type Limits struct {
	MaxInstances int
}

// DefaultLimits are the limits in force: TEND_MAX_INSTANCES when it is a
// number of 1 or more, else DefaultMaxInstances.
func DefaultLimits() Limits {
	if n, err := strconv.Atoi(os.Getenv(MaxInstancesEnv)); err == nil && n >= 1 {
		return Limits{MaxInstances: n}
	}
	return Limits{MaxInstances: DefaultMaxInstances}
}

// FieldError is a problem with one key of an app: readers of a file turn
// it into file:line of that key.
type FieldError struct {
	App, Key string
	Msg      string
}

func (e *FieldError) Error() string { return fmt.Sprintf("app %q: %s %s", e.App, e.Key, e.Msg) }

// Fixed bounds. A value beyond one is a mistake, not a wish: a kill
// timeout of a year never ends a stop, a log file of 10 bytes rotates at
// every line.
const (
	maxDuration    = 24 * time.Hour
	maxWindow      = 30 * 24 * time.Hour
	maxRestarts    = 1_000_000
	minLogSize     = 1 << 10
	maxLogSize     = 1 << 40
	maxLogFiles    = 1000
	minMemory      = 1 << 20
	maxMemory      = 1 << 40
	maxListen      = 64
	maxArgs        = 4096
	maxEnv         = 4096
	minWatchdog    = 10 * time.Millisecond
	maxExitCode    = 255
	maxNameListLen = 256 // required_env, secret_env, env_file
)

// CPUCores reads cpu_quota: "50%" of one core, or "1.5" cores.
func (a *App) CPUCores() (float64, error) {
	s := strings.TrimSpace(a.CPUQuota)
	if s == "" {
		return 0, nil
	}
	v, div := s, 1.0
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, div = strings.TrimSpace(p), 100
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f/div > 1024 {
		return 0, fmt.Errorf("%q: want a share of one core such as 50%%, or cores such as 1.5 (at most 1024)", a.CPUQuota)
	}
	return f / div, nil
}

// HasLimits reports whether a sets a kernel-enforced limit.
func (a *App) HasLimits() bool {
	return a.MemoryMax > 0 || a.MemoryHigh > 0 || a.CPUQuota != "" || a.CPUWeight > 0 || a.PidsMax > 0
}

// checkBounds reports every value of a outside its range.
func (a *App) checkBounds(lim Limits) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &FieldError{App: a.Name, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if a.Instances < 0 || a.Instances > lim.MaxInstances {
		bad("instances", "%d: want 1 to %d (a daemon started with a higher --max-instances, or %s, allows more)",
			a.Instances, lim.MaxInstances, MaxInstancesEnv)
	}
	durations := []struct {
		key string
		d   time.Duration
		max time.Duration
	}{
		{"kill_timeout", a.KillTimeout.D(), maxDuration},
		{"restart_delay", a.RestartDelay.D(), maxDuration},
		{"exp_backoff_restart_delay", a.ExpBackoffRestartDelay.D(), maxDuration},
		{"restart_window", a.RestartWindow.D(), maxWindow},
		{"min_uptime", a.MinUptimeD(), maxDuration},
		{"ready_timeout", a.ReadyTimeout.D(), maxDuration},
		{"watchdog", a.Watchdog.D(), maxDuration},
		{"watch_delay", a.WatchDelay.D(), maxDuration},
	}
	for _, d := range durations {
		if d.d < 0 || d.d > d.max {
			bad(d.key, "%s: want 0 to %s", d.d, d.max)
		}
	}
	if a.Watchdog > 0 && a.Watchdog.D() < minWatchdog {
		bad("watchdog", "%s: want at least %s (or 0 for none)", a.Watchdog, minWatchdog)
	}
	if a.MaxRestarts < 0 || a.MaxRestarts > maxRestarts {
		bad("max_restarts", "%d: want 0 (never give up) to %d", a.MaxRestarts, maxRestarts)
	}
	if a.LogMaxSize != 0 && (a.LogMaxSize < minLogSize || a.LogMaxSize > maxLogSize) {
		bad("log_max_size", "%s: want %s to %s", a.LogMaxSize, Size(minLogSize), Size(maxLogSize))
	}
	for _, m := range []struct {
		key string
		z   Size
	}{{"memory_max", a.MemoryMax}, {"memory_high", a.MemoryHigh}} {
		if m.z != 0 && (m.z < minMemory || m.z > maxMemory) {
			bad(m.key, "%s: want %s to %s", m.z, Size(minMemory), Size(maxMemory))
		}
	}
	if a.CPUQuota != "" {
		if _, err := a.CPUCores(); err != nil {
			bad("cpu_quota", "%v", err)
		}
	}
	if a.CPUWeight < 0 || a.CPUWeight > 10000 {
		bad("cpu_weight", "%d: want 1 to 10000 (100 is the default share)", a.CPUWeight)
	}
	if a.PidsMax < 0 || a.PidsMax > 4194304 {
		bad("pids_max", "%d: want 1 to 4194304", a.PidsMax)
	}
	if a.MaxMemoryRestart != 0 && (a.MaxMemoryRestart < minMemory || a.MaxMemoryRestart > maxMemory) {
		bad("max_memory_restart", "%s: want %s to %s", a.MaxMemoryRestart, Size(minMemory), Size(maxMemory))
	}
	if a.LogMaxFiles < 0 || a.LogMaxFiles > maxLogFiles {
		bad("log_max_files", "%d: want 0 to %d", a.LogMaxFiles, maxLogFiles)
	}
	for _, c := range a.StopExitCodes {
		if c < 0 || c > maxExitCode {
			bad("stop_exit_codes", "%d: an exit code is 0 to %d", c, maxExitCode)
		}
	}
	counts := []struct {
		key string
		n   int
		max int
	}{
		{"listen", len(a.Listen), maxListen},
		{"args", len(a.Args), maxArgs},
		{"env", len(a.Env), maxEnv},
		{"env_file", len(a.EnvFile), maxNameListLen},
		{"required_env", len(a.RequiredEnv), maxNameListLen},
		{"secret_env", len(a.SecretEnv), maxNameListLen},
		{"watch", len(a.Watch), maxNameListLen},
		{"ignore_watch", len(a.IgnoreWatch), maxNameListLen},
	}
	for _, c := range counts {
		if c.n > c.max {
			bad(c.key, "has %d entries: at most %d", c.n, c.max)
		}
	}
	return errs
}
