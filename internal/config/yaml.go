package config

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tend-pm/tend/internal/spec"
)

// Parse reads YAML or JSON (as YAML) ecosystem text: `apps: [...]`, a bare
// list of apps, or one app. name is the file name used in messages.
func Parse(name string, b []byte) (*Result, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, syntaxError(name, err)
	}
	if len(doc.Content) == 0 {
		return nil, &Error{File: name, Msg: "empty file: write the apps under `apps:`"}
	}
	p := &parser{file: name}
	list := p.appList(doc.Content[0])
	res := &Result{}
	for _, n := range list {
		if a := p.app(n); a != nil {
			res.Apps = append(res.Apps, a)
		}
	}
	if len(list) == 0 && len(p.errs) == 0 {
		p.fail(doc.Content[0], "no apps: write them under `apps:`")
	}
	p.checkNames(res.Apps, list)
	p.checkGraph(res.Apps, list)
	res.Warnings = p.warnings
	return res, errors.Join(p.errs...)
}

var syntaxLineRE = strings.NewReplacer("yaml: ", "")

func syntaxError(name string, err error) error {
	msg := syntaxLineRE.Replace(err.Error())
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		_, msg, _ = strings.Cut(msg, ": ")
	}
	return &Error{File: name, Line: line, Msg: msg}
}

// parser collects every problem of one file.
type parser struct {
	file     string
	errs     []error
	warnings []string
}

func (p *parser) fail(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) warn(n *yaml.Node, format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf("%s:%d:%d: %s", p.file, n.Line, n.Column, fmt.Sprintf(format, args...)))
}

// appList finds the app mappings: under apps, a top-level list, or one.
func (p *parser) appList(root *yaml.Node) []*yaml.Node {
	switch root.Kind {
	case yaml.SequenceNode:
		return root.Content
	case yaml.MappingNode:
		var apps *yaml.Node
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			switch k.Value {
			case "apps":
				apps = v
			case "deploy":
				p.warn(k, "PM2's deploy section is not supported; ignored")
			case "name", "script", "cmd":
				return []*yaml.Node{root} // one app
			default:
				p.fail(k, "unknown top-level key %q; put apps under `apps:`", k.Value)
			}
		}
		if apps == nil {
			return nil
		}
		if apps.Kind != yaml.SequenceNode {
			p.fail(apps, "apps: want a list of apps")
			return nil
		}
		return apps.Content
	}
	p.fail(root, "want a mapping with `apps:` or a list of apps")
	return nil
}

// app decodes one app mapping.
func (p *parser) app(n *yaml.Node) *spec.App {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "an app must be a mapping of keys such as name and script")
		return nil
	}
	a := &spec.App{}
	before := len(p.errs)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p.field(a, k, v)
	}
	if len(p.errs) > before {
		return a
	}
	if a.Name == "" && a.Script != "" {
		a.Name = spec.DefaultName(a.Script, a.Shell) // as PM2 names it
	}
	normalize(a)
	if err := a.Validate(); err != nil {
		for _, e := range unjoin(err) {
			p.fail(keyNode(n, e), "%v", e)
		}
	}
	return a
}

// keyAliases are the other keys that set a field (PM2's names).
var keyAliases = map[string][]string{"ready_timeout": {"listen_timeout"}, "args": {"cmd"}, "script": {"cmd"},
	"user": {"uid"}, "group": {"gid"}}

// keyNode is the key of app mapping n that err is about, so the message
// points at its line; else n.
func keyNode(n *yaml.Node, err error) *yaml.Node {
	fe, ok := errors.AsType[*spec.FieldError](err)
	if !ok {
		return n
	}
	key, sub, nested := strings.Cut(fe.Key, ".")
	names := append([]string{key}, keyAliases[key]...)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !slices.Contains(names, n.Content[i].Value) {
			continue
		}
		// health.interval: the inner key's line.
		if v := n.Content[i+1]; nested && v.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == sub {
					return v.Content[j]
				}
			}
		}
		return n.Content[i]
	}
	return n
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (p *parser) field(a *spec.App, k, v *yaml.Node) {
	key := k.Value
	if set, ok := fields[key]; ok {
		err := set(a, v)
		for _, e := range unjoin(err) {
			if ne, ok := errors.AsType[*nodeError](e); ok && ne.key != "" {
				p.fail(ne.n, "%s.%v", key, ne)
			} else if ok {
				p.fail(ne.n, "%s: %v", key, ne)
			} else if e != nil {
				p.fail(v, "%s: %v", key, e)
			}
		}
		return
	}
	if profile, ok := strings.CutPrefix(key, "env_"); ok && profile != "" {
		m, err := stringMap(v)
		if err != nil {
			p.fail(v, "%s: %v", key, err)
			return
		}
		if a.Profiles == nil {
			a.Profiles = map[string]map[string]string{}
		}
		a.Profiles[profile] = m
		return
	}
	if why, ok := unsupported[key]; ok {
		p.warn(k, "%q is not supported %s; ignored", key, why)
		return
	}
	msg := fmt.Sprintf("unknown key %q", key)
	if near := nearest(key, KnownKeys()); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	p.fail(k, "%s", msg)
}

// checkNames reports apps that share a name.
func (p *parser) checkNames(apps []*spec.App, nodes []*yaml.Node) {
	seen := map[string]bool{}
	for i, a := range apps {
		if a.Name != "" && seen[a.Name] {
			p.fail(nodes[i], "app %q: the name is used twice in this file", a.Name)
		}
		seen[a.Name] = true
	}
}

// checkGraph reports dependencies on apps the file does not define, and
// a cycle, each at the line that names it.
func (p *parser) checkGraph(apps []*spec.App, nodes []*yaml.Node) {
	g := spec.GraphOf(apps)
	at := map[string]*yaml.Node{}
	for i, a := range apps {
		at[a.Name] = nodes[i]
	}
	for _, a := range apps {
		for _, d := range a.Dependencies() {
			if _, ok := g[d.App]; !ok {
				msg := fmt.Sprintf("app %q: depends_on %q: no app of that name in this file", a.Name, d.App)
				if near := nearest(d.App, slices.Sorted(maps.Keys(g))); near != "" {
					msg += fmt.Sprintf("; did you mean %q?", near)
				}
				p.fail(dependencyNode(at[a.Name], d.App), "%s", msg)
			}
		}
	}
	if c := g.Cycle(); c != nil {
		p.fail(dependencyNode(at[c[0]], c[1]), "app %q: depends_on makes a cycle: %s; an app cannot wait for itself, even through others",
			c[0], strings.Join(c, " → "))
	}
}

// dependencyNode is the node that names dep in app node n's depends_on,
// or the best node there is.
func dependencyNode(n *yaml.Node, dep string) *yaml.Node {
	for i := 0; n != nil && i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "depends_on" {
			continue
		}
		v := n.Content[i+1]
		for _, e := range v.Content {
			if e.Value == dep {
				return e
			}
		}
		return n.Content[i]
	}
	return n
}

// fields maps each key to its decoder.
var fields = map[string]func(a *spec.App, v *yaml.Node) error{
	"name":   func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.Name) },
	"script": func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.Script) },
	"cmd": func(a *spec.App, v *yaml.Node) error {
		if v.Kind == yaml.SequenceNode {
			argv, err := stringList(v)
			if err != nil || len(argv) == 0 {
				return errors.Join(err, errors.New("want a command line or a non-empty list"))
			}
			a.Script, a.Args = argv[0], argv[1:]
			return nil
		}
		a.Shell = true
		return scalar(v, &a.Script)
	},
	"args": func(a *spec.App, v *yaml.Node) error {
		if v.Kind == yaml.ScalarNode {
			var s string
			if err := scalar(v, &s); err != nil {
				return err
			}
			args, err := SplitWords(s)
			a.Args = args
			return err
		}
		var err error
		a.Args, err = stringList(v)
		return err
	},
	"shell":       func(a *spec.App, v *yaml.Node) error { return boolean(v, &a.Shell) },
	"interpreter": func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.Interpreter) },
	"interpreter_args": func(a *spec.App, v *yaml.Node) error {
		var err error
		if v.Kind == yaml.ScalarNode {
			var s string
			if err = scalar(v, &s); err == nil {
				a.InterpreterArgs, err = SplitWords(s)
			}
			return err
		}
		a.InterpreterArgs, err = stringList(v)
		return err
	},
	"cwd":   func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.Cwd) },
	"user":  func(a *spec.App, v *yaml.Node) error { return scalarOrNumber(v, &a.User) },
	"group": func(a *spec.App, v *yaml.Node) error { return scalarOrNumber(v, &a.Group) },
	// PM2's names.
	"uid": func(a *spec.App, v *yaml.Node) error { return scalarOrNumber(v, &a.User) },
	"gid": func(a *spec.App, v *yaml.Node) error { return scalarOrNumber(v, &a.Group) },
	"listen": func(a *spec.App, v *yaml.Node) error {
		var err error
		a.Listen, err = stringOrList(v)
		return err
	},
	"instances": func(a *spec.App, v *yaml.Node) error { return instances(v, &a.Instances) },
	"env": func(a *spec.App, v *yaml.Node) error {
		m, err := stringMap(v)
		a.Env = m
		return err
	},
	"env_file": func(a *spec.App, v *yaml.Node) error {
		var err error
		a.EnvFile, err = stringOrList(v)
		return err
	},
	"env_expand": func(a *spec.App, v *yaml.Node) error {
		var b bool
		err := boolean(v, &b)
		a.EnvExpand = &b
		return err
	},
	"required_env": func(a *spec.App, v *yaml.Node) error {
		var err error
		a.RequiredEnv, err = stringList(v)
		return err
	},
	"secret_env": func(a *spec.App, v *yaml.Node) error {
		var err error
		a.SecretEnv, err = stringList(v)
		return err
	},
	"autorestart": func(a *spec.App, v *yaml.Node) error { return text(v, &a.Autorestart) },
	"stop_exit_codes": func(a *spec.App, v *yaml.Node) error {
		if v.Kind == yaml.ScalarNode {
			var n int
			err := v.Decode(&n)
			a.StopExitCodes = []int{n}
			return typeErr(err, "an exit code or a list of them")
		}
		return typeErr(v.Decode(&a.StopExitCodes), "a list of exit codes")
	},
	"restart_delay":             func(a *spec.App, v *yaml.Node) error { return text(v, &a.RestartDelay) },
	"exp_backoff_restart_delay": func(a *spec.App, v *yaml.Node) error { return text(v, &a.ExpBackoffRestartDelay) },
	"max_restarts": func(a *spec.App, v *yaml.Node) error {
		return typeErr(v.Decode(&a.MaxRestarts), "a whole number")
	},
	"restart_window": func(a *spec.App, v *yaml.Node) error { return text(v, &a.RestartWindow) },
	"min_uptime": func(a *spec.App, v *yaml.Node) error {
		var d spec.Duration
		err := text(v, &d)
		a.MinUptime = &d
		return err
	},
	"kill_timeout": func(a *spec.App, v *yaml.Node) error { return text(v, &a.KillTimeout) },
	"stop_signal":  func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.StopSignal) },
	"out_file":     func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.OutFile) },
	"error_file":   func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.ErrorFile) },
	"merge_logs":   func(a *spec.App, v *yaml.Node) error { return boolean(v, &a.MergeLogs) },
	"log_type":     func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.LogType) },
	"time": func(a *spec.App, v *yaml.Node) error {
		var b bool
		err := boolean(v, &b)
		a.Time = &b
		return err
	},
	"log_date_format": func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.LogDateFormat) },
	"log_max_size":    func(a *spec.App, v *yaml.Node) error { return text(v, &a.LogMaxSize) },
	"log_max_files":   func(a *spec.App, v *yaml.Node) error { return typeErr(v.Decode(&a.LogMaxFiles), "a whole number") },
	"log_compress":    func(a *spec.App, v *yaml.Node) error { return boolean(v, &a.LogCompress) },
	"listen_mode":     func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.ListenMode) },
	"ready":           func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.Ready) },
	"ready_log_line":  func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.ReadyLogLine) },
	"ready_timeout":   func(a *spec.App, v *yaml.Node) error { return text(v, &a.ReadyTimeout) },
	"watchdog":        func(a *spec.App, v *yaml.Node) error { return text(v, &a.Watchdog) },
	"ipc":             func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.IPC) },
	"shutdown_with_message": func(a *spec.App, v *yaml.Node) error {
		return boolean(v, &a.ShutdownWithMessage)
	},
	// PM2's names: wait_ready waits for process.send('ready'), and
	// listen_timeout bounds that wait.
	"wait_ready": func(a *spec.App, v *yaml.Node) error {
		var b bool
		err := boolean(v, &b)
		if b {
			a.Ready = spec.ReadyIPC
		}
		return err
	},
	"listen_timeout":     func(a *spec.App, v *yaml.Node) error { return text(v, &a.ReadyTimeout) },
	"max_memory_restart": func(a *spec.App, v *yaml.Node) error { return text(v, &a.MaxMemoryRestart) },
	// PM2's autostart: false adds the app stopped.
	"namespace": func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.Namespace) },
	"autostart": func(a *spec.App, v *yaml.Node) error {
		var on bool
		err := boolean(v, &on)
		a.Autostart = &on
		return err
	},
	// PM2's disable_logs: the output goes nowhere (the crash excerpt is
	// kept in memory all the same).
	"disable_logs": func(a *spec.App, v *yaml.Node) error {
		var off bool
		if err := boolean(v, &off); err != nil {
			return err
		}
		if off {
			a.OutFile, a.ErrorFile = os.DevNull, os.DevNull
		}
		return nil
	},
	"cron_restart": func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.CronRestart) },
	"depends_on":   dependsOn,
	"exec_mode": func(a *spec.App, v *yaml.Node) error {
		if err := scalar(v, &a.ExecMode); err != nil {
			return err
		}
		a.ExecMode = strings.TrimSuffix(a.ExecMode, "_mode") // PM2 writes cluster_mode and fork_mode too
		return nil
	},
	"schedule":    func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.Schedule) },
	"concurrency": func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.Concurrency) },
	"timeout":     func(a *spec.App, v *yaml.Node) error { return text(v, &a.Timeout) },
	"catch_up":    func(a *spec.App, v *yaml.Node) error { return boolean(v, &a.CatchUp) },
	"propagate":   func(a *spec.App, v *yaml.Node) error { return boolean(v, &a.Propagate) },
	"memory_max":  func(a *spec.App, v *yaml.Node) error { return text(v, &a.MemoryMax) },
	"memory_high": func(a *spec.App, v *yaml.Node) error { return text(v, &a.MemoryHigh) },
	"cpu_quota":   func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.CPUQuota) },
	"cpu_weight":  func(a *spec.App, v *yaml.Node) error { return typeErr(v.Decode(&a.CPUWeight), "a whole number") },
	"pids_max":    func(a *spec.App, v *yaml.Node) error { return typeErr(v.Decode(&a.PidsMax), "a whole number") },
	"watch": func(a *spec.App, v *yaml.Node) error {
		if v.Kind == yaml.ScalarNode && (v.Tag == "!!bool") {
			var on bool
			if err := boolean(v, &on); err != nil {
				return err
			}
			a.Watch = nil
			if on {
				a.Watch = []string{"."}
			}
			return nil
		}
		var err error
		a.Watch, err = stringOrList(v)
		return err
	},
	"ignore_watch": func(a *spec.App, v *yaml.Node) error {
		var err error
		a.IgnoreWatch, err = stringOrList(v)
		return err
	},
	// PM2's watch_delay is milliseconds; a duration reads too.
	"watch_delay": func(a *spec.App, v *yaml.Node) error {
		if v.Kind == yaml.ScalarNode && v.Tag == "!!int" {
			var ms int64
			if err := v.Decode(&ms); err != nil {
				return errors.New("want milliseconds or a duration")
			}
			a.WatchDelay = spec.Duration(time.Duration(ms) * time.Millisecond)
			return nil
		}
		return text(v, &a.WatchDelay)
	},
	"cron_timezone": func(a *spec.App, v *yaml.Node) error { return scalar(v, &a.CronTimezone) },
	"health": func(a *spec.App, v *yaml.Node) (err error) {
		a.Health, err = probe(v)
		return err
	},
	"readiness": func(a *spec.App, v *yaml.Node) (err error) {
		a.Readiness, err = probe(v)
		return err
	},
	"pool": func(a *spec.App, v *yaml.Node) (err error) {
		a.Pool, err = pool(v)
		return err
	},
}

// pm2Spellings are PM2's other names for keys (its schema's aliases):
// each decodes as the key it stands for.
var pm2Spellings = map[string]string{
	"exec_interpreter": "interpreter",
	"node_args":        "interpreter_args", "interpreterArgs": "interpreter_args",
	"out": "out_file", "output": "out_file", "out_log": "out_file",
	"error": "error_file", "err": "error_file", "err_file": "error_file", "err_log": "error_file",
	"combine_logs": "merge_logs",
	"cron":         "cron_restart",
	"exec":         "script",
}

func init() {
	for alias, key := range pm2Spellings {
		fields[alias] = fields[key]
		keyAliases[key] = append(keyAliases[key], alias)
	}
}

// unsupported are keys of PM2 or of DESIGN §5 that tend reads but does
// not act on yet: a warning, not an error, so PM2 files port.
var unsupported = map[string]string{
	"watch_options":      "yet",
	"source_map_support": "",
	"log_file":           "(use out_file and error_file)",
	"pid_file":           "", "pid": "", "vizion": "", "post_update": "",
	"force":         "",
	"increment_var": "", "instance_var": "", "filter_env": "", "disable_trace": "", "treekill": "(tend always stops the whole tree)",
	"port": "", "append_env_to_name": "", "automation": "", "pmx": "", "windowsHide": "",
	"kill_retry_time": "", "deep_monitoring": "",
	"max_memory":                 "",
	"log":                        "(use out_file and error_file)",
	"disable_source_map_support": "", "event_loop_inspector": "", "execute_command": "", "install_url": "",
	"io": "", "name_prefix": "", "trace": "", "username": "", "v8": "", "write": "",
}

func typeErr(err error, want string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("want %s", want)
}

func scalar(v *yaml.Node, dst *string) error {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return errors.New("want a string")
	}
	*dst = v.Value
	return nil
}

// scalarOrNumber reads a name or a number (uid: 33) as text.
func scalarOrNumber(v *yaml.Node, dst *string) error {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || v.Value == "" {
		return errors.New("want a name or a number")
	}
	*dst = v.Value
	return nil
}

func boolean(v *yaml.Node, dst *bool) error {
	return typeErr(v.Decode(dst), "true or false")
}

// text decodes a scalar through the field's own UnmarshalText.
func text(v *yaml.Node, dst interface{ UnmarshalText([]byte) error }) error {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return errors.New("want a value")
	}
	return dst.UnmarshalText([]byte(v.Value))
}

// stringOrList reads one string or a list of them.
func stringOrList(v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.ScalarNode {
		var s string
		err := scalar(v, &s)
		return []string{s}, err
	}
	return stringList(v)
}

func stringList(v *yaml.Node) ([]string, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, errors.New("want a list")
	}
	out := make([]string, len(v.Content))
	for i, c := range v.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("item %d: want a string", i+1)
		}
		out[i] = c.Value
	}
	return out, nil
}

// stringMap reads KEY: value pairs; numbers and booleans become their
// text, as PM2 passes them to the environment.
func stringMap(v *yaml.Node) (map[string]string, error) {
	if v.Kind != yaml.MappingNode {
		return nil, errors.New("want a mapping of NAME: value")
	}
	m := make(map[string]string, len(v.Content)/2)
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if val.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s: want a string, number or boolean", k.Value)
		}
		if val.Tag == "!!null" {
			m[k.Value] = ""
			continue
		}
		m[k.Value] = val.Value
	}
	return m, nil
}

// dependsOn reads depends_on: a list of names (each meaning started) or
// a mapping of name to condition.
func dependsOn(a *spec.App, v *yaml.Node) error {
	a.DependsOn = map[string]string{}
	switch v.Kind {
	case yaml.SequenceNode:
		names, err := stringList(v)
		if err != nil {
			return err
		}
		for _, n := range names {
			a.DependsOn[n] = spec.DependStarted
		}
		return nil
	case yaml.MappingNode:
		var errs []error
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, c := v.Content[i], v.Content[i+1]
			if c.Kind != yaml.ScalarNode {
				errs = append(errs, &nodeError{n: c, key: k.Value, err: fmt.Errorf("want a condition: %s", strings.Join(spec.Conditions, ", "))})
				continue
			}
			a.DependsOn[k.Value] = cmp.Or(c.Value, spec.DependStarted)
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("want a list of app names, or a mapping of name to condition (%s)", strings.Join(spec.Conditions, ", "))
}

func instances(v *yaml.Node, dst *int) error {
	var s string
	if err := scalar(v, &s); err != nil {
		return err
	}
	switch s {
	case "max", "-1", "0":
		// PM2: 0 and max mean one per CPU; -1 all CPUs but one.
		*dst = runtime.NumCPU()
		if s == "-1" {
			*dst = max(1, *dst-1)
		}
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return fmt.Errorf("%q: want a number of 1 or more, or max", s)
	}
	*dst = n
	return nil
}

// KnownKeys lists the keys an app may have (env_<profile> aside).
func KnownKeys() []string { return slices.Sorted(maps.Keys(fields)) }

// nearest returns the known key closest to k, if close enough to be a typo.
func nearest(k string, known []string) string {
	best, bestD := "", len(k)/2+2
	for _, c := range known {
		if d := distance(k, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// normalize makes empty lists and maps nil, so an app reads the same
// whether a key was written empty or left out.
func normalize(a *spec.App) {
	for _, l := range []*[]string{&a.Args, &a.InterpreterArgs, &a.EnvFile, &a.RequiredEnv, &a.SecretEnv, &a.Listen, &a.Watch, &a.IgnoreWatch} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	if len(a.StopExitCodes) == 0 {
		a.StopExitCodes = nil
	}
	if len(a.Env) == 0 {
		a.Env = nil
	}
	for k, m := range a.Profiles {
		if m == nil {
			a.Profiles[k] = map[string]string{}
		}
	}
}
