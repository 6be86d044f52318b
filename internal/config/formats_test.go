package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const ecoYAML = `apps:
  - name: api
    script: server.js
    args: ["--port", "3000"]
    instances: 2
    env:
      NODE_ENV: development
      PORT: 3000
    env_production:
      NODE_ENV: production
    env_file: [.env, .env.local]
    required_env: [DATABASE_URL]
    secret_env: [DATABASE_URL]
    autorestart: on-failure
    stop_exit_codes: [0, 3]
    restart_delay: 250
    exp_backoff_restart_delay: 100
    max_restarts: 10
    restart_window: 1m
    min_uptime: 2s
    kill_timeout: 5000
    stop_signal: SIGINT
  - name: worker
    cmd: "python3 worker.py --queue default"
    autorestart: false
`

const ecoJS = `module.exports = {
  apps: [{
    name: 'api',
    script: 'server.js',
    args: ['--port', '3000'],
    instances: 2,
    env: { NODE_ENV: 'development', PORT: 3000 },
    env_production: { NODE_ENV: 'production' },
    env_file: ['.env', '.env.local'],
    required_env: ['DATABASE_URL'],
    secret_env: ['DATABASE_URL'],
    autorestart: 'on-failure',
    stop_exit_codes: [0, 3],
    restart_delay: 250,
    exp_backoff_restart_delay: 100,
    max_restarts: 10,
    restart_window: '1m',
    min_uptime: '2s',
    kill_timeout: 5000,
    stop_signal: 'SIGINT',
  }, {
    name: 'worker',
    cmd: 'python3 worker.py --queue default',
    autorestart: false,
  }],
};
`

const ecoMJS = `export default async () => (` + "{apps: [{name: 'api', script: 'server.js', args: ['--port', '3000'], instances: 2, env: {NODE_ENV: 'development', PORT: 3000}, env_production: {NODE_ENV: 'production'}, env_file: ['.env', '.env.local'], required_env: ['DATABASE_URL'], secret_env: ['DATABASE_URL'], autorestart: 'on-failure', stop_exit_codes: [0, 3], restart_delay: 250, exp_backoff_restart_delay: 100, max_restarts: 10, restart_window: '1m', min_uptime: '2s', kill_timeout: 5000, stop_signal: 'SIGINT'}, {name: 'worker', cmd: 'python3 worker.py --queue default', autorestart: false}]}" + `);
`

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestYAMLAndJSGiveIdenticalSpecs: the same apps written in YAML, in a
// CommonJS ecosystem.config.js and in an ESM .mjs read the same.
func TestYAMLAndJSGiveIdenticalSpecs(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("needs node")
	}
	dir := t.TempDir()
	y, err := Load(write(t, dir, "ecosystem.yaml", ecoYAML), Options{Profile: "production"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ecosystem.config.js", "ecosystem.config.cjs", "ecosystem.config.mjs"} {
		src := ecoJS
		if strings.HasSuffix(name, ".mjs") {
			src = ecoMJS
		}
		j, err := Load(write(t, dir, name, src), Options{Profile: "production"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range j.Apps {
			j.Apps[i].Source = y.Apps[i].Source // the file's own path differs, by design
		}
		if !reflect.DeepEqual(y.Apps, j.Apps) {
			t.Errorf("%s differs from the YAML:\n%+v\n%+v", name, *y.Apps[0], *j.Apps[0])
		}
	}
	a := y.Apps[0]
	if a.Profile != "production" || a.ProfileEnv()["NODE_ENV"] != "production" || a.Env["PORT"] != "3000" ||
		a.EnvFile[1] != filepath.Join(dir, ".env.local") || a.Instances != 2 || a.KillTimeout.D().Seconds() != 5 {
		t.Errorf("api = %+v", *a)
	}
	w := y.Apps[1]
	if !w.Shell || w.Script != "python3 worker.py --queue default" || w.Autorestart != "never" {
		t.Errorf("worker = %+v", *w)
	}
}

func TestJSErrors(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("needs node")
	}
	dir := t.TempDir()
	_, err := Load(write(t, dir, "ecosystem.config.js", "module.exports = {apps: [{name: 'a', script: 'x', instaces: 2}]}"), Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown key "instaces"; did you mean "instances"?`) {
		t.Errorf("unknown key in JS: %v", err)
	}
	_, err = Load(write(t, dir, "broken.config.js", "module.exports = {apps: [ oops"), Options{})
	if err == nil || !strings.Contains(err.Error(), "node could not load it") || !strings.Contains(err.Error(), "SyntaxError") {
		t.Errorf("syntax error in JS: %v", err)
	}
	src := `// a PM2 file
module.exports = {
  apps: [
    {
      name: 'web',
      script: 'server.js',
      instances: 99999999999,
    },
    {
      name: 'worker',
      script: 'worker.js',
      instaces: 2,
    },
  ],
};
`
	_, err = Load(write(t, dir, "lines.config.js", src), Options{})
	for _, want := range []string{"lines.config.js:7:7: app \"web\": instances 99999999999", "lines.config.js:12:7: unknown key \"instaces\""} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error in JS lacks the source line %q: %v", want, err)
		}
	}
	start := time.Now()
	_, err = Load(write(t, dir, "loop.config.js", "while (true) {}"), Options{JSTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "loop.config.js: did not finish within 1s") || time.Since(start) > 5*time.Second {
		t.Errorf("a file that loops: %v after %s; want the limit", err, time.Since(start))
	}
	if DefaultJSTimeout != 10*time.Second {
		t.Errorf("DefaultJSTimeout = %s; the issue asks 10s", DefaultJSTimeout)
	}
	_, err = Load(write(t, dir, "pending.config.js", "module.exports = new Promise(() => {})"), Options{})
	if err == nil || !strings.Contains(err.Error(), "promise that never resolves") {
		t.Errorf("a promise that never settles: %v", err)
	}
	t.Setenv("PATH", dir)
	_, err = Load(filepath.Join(dir, "ecosystem.config.js"), Options{})
	if err == nil || !strings.Contains(err.Error(), "needs node, which is not in $PATH") {
		t.Errorf("without node: %v", err)
	}
}

func TestProcfile(t *testing.T) {
	res, err := ParseProcfile("Procfile", []byte("# processes\nweb: bundle exec puma -p $PORT\n\nworker:   python3 worker.py\nclock: ./clock\n"), DefaultProcfilePort)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range res.Apps {
		got = append(got, a.Name+"|"+a.Script+"|"+a.Env["PORT"])
		if !a.Shell {
			t.Errorf("%s: not run through the shell", a.Name)
		}
	}
	want := []string{"web|bundle exec puma -p $PORT|5000", "worker|python3 worker.py|5100", "clock|./clock|5200"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Procfile = %q, want %q", got, want)
	}
	_, err = ParseProcfile("Procfile", []byte("web: a\nno colon here\nweb: b\n"), DefaultProcfilePort)
	for _, w := range []string{"Procfile:2: want `name: command`", `Procfile:3: process "web" is already defined on line 1`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}

// TestProcfileBasePort: as `PORT=8000 foreman start`, $PORT of the
// caller's environment is the first process's port; a PORT that is no
// port, or one that pushes a process past 65535, is an error naming it.
func TestProcfileBasePort(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Procfile")
	if err := os.WriteFile(path, []byte("web: a\nworker: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORT", "8000")
	res, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Apps[0].Env["PORT"] + " " + res.Apps[1].Env["PORT"]; got != "8000 8100" {
		t.Errorf("PORT=8000: ports %s, want 8000 8100", got)
	}
	for v, want := range map[string]string{
		"http":  `PORT="http" in the environment: want a port number`,
		"65500": `process "worker" would get PORT 65600: past 65535`,
	} {
		t.Setenv("PORT", v)
		if _, err := Load(path, Options{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("PORT=%s: error %v, want %q", v, err, want)
		}
	}
}

// TestEveryProblemAtOnce: one read reports all the file's problems, each
// with its position.
func TestEveryProblemAtOnce(t *testing.T) {
	src := `apps:
  - name: a
    script: x
    instaces: 2
    kill_timeout: soon
  - name: b
    script: y
    autorestart: sometimes
    env: [1, 2]
  - name: a
    script: z
    watch_options: {}
`
	res, err := Parse("eco.yaml", []byte(src))
	for _, w := range []string{
		`eco.yaml:4:5: unknown key "instaces"; did you mean "instances"?`,
		`eco.yaml:5:19: kill_timeout: invalid duration "soon"`,
		`eco.yaml:8:18: autorestart: invalid restart policy "sometimes"`,
		`eco.yaml:9:10: env: want a mapping of NAME: value`,
		`eco.yaml:10:5: app "a": the name is used twice in this file`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("errors lack %q:\n%v", w, err)
		}
	}
	if res == nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `eco.yaml:12:5: "watch_options" is not supported yet; ignored`) {
		t.Errorf("warnings = %v", res)
	}
}

func TestOnlyAndProfileSelection(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "eco.yaml", "apps:\n  - name: a\n    script: x\n    env_staging: {A: 1}\n  - name: b\n    script: y\n")
	res, err := Load(p, Options{Only: []string{"b"}})
	if err != nil || len(res.Apps) != 1 || res.Apps[0].Name != "b" {
		t.Errorf("--only b: %v %v", res, err)
	}
	if _, err := Load(p, Options{Only: []string{"c"}}); err == nil || !strings.Contains(err.Error(), "--only c: no such app; the file has a, b") {
		t.Errorf("--only c: %v", err)
	}
	if _, err := Load(p, Options{Profile: "prod"}); err == nil || !strings.Contains(err.Error(), "--env prod: no app has env_prod") {
		t.Errorf("--env prod: %v", err)
	}
	res, err = Load(p, Options{Profile: "staging"})
	if err != nil || res.Apps[0].ProfileEnv()["A"] != "1" || res.Apps[1].Profile != "" {
		t.Errorf("--env staging: %+v %v", res.Apps, err)
	}
}

func TestSplitWords(t *testing.T) {
	tests := map[string][]string{
		`a b  c`:             {"a", "b", "c"},
		`--name 'two words'`: {"--name", "two words"},
		`"x \"y\" $z" w\ v`:  {`x "y" $z`, "w v"},
		`''`:                 {""},
		``:                   nil,
	}
	for in, want := range tests {
		got, err := SplitWords(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := SplitWords(`"open`); err == nil {
		t.Error("unterminated quote accepted")
	}
}

// As PM2 reads a file: an app with no name is named after its script,
// and ~ is the home directory in cwd, script, interpreter and log paths.
func TestPM2Defaults(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err) // not a missing tool: a broken machine
	}
	dir := t.TempDir()
	p := write(t, dir, "eco.json", `{"apps": [{"script": "./server.js"}, {"name": "", "script": "worker.py", "cwd": "~/srv", "out_file": "~/logs/w.log", "interpreter": "~/venv/bin/python"}]}`)
	res, err := Load(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := res.Apps[0], res.Apps[1]
	if a.Name != "server" || b.Name != "worker" {
		t.Errorf("names %q %q, want server worker", a.Name, b.Name)
	}
	if b.Cwd != filepath.Join(home, "srv") || b.OutFile != filepath.Join(home, "logs/w.log") || b.Interpreter != filepath.Join(home, "venv/bin/python") {
		t.Errorf("~ not expanded: cwd %q out %q interpreter %q", b.Cwd, b.OutFile, b.Interpreter)
	}
}

// A .json file loads as PM2 loads it, comments and trailing commas
// included, and an error still points at the line as written.
func TestLooseJSON(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "eco.json", `{
  // the API
  "apps": [
    {
      "name": "api", /* the public one */
      "script": "server.js",
      "env": {"URL": "http://x//y", "Q": "a,]"},
    },
  ],
}
`)
	res, err := Load(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a := res.Apps[0]; a.Name != "api" || a.Env["URL"] != "http://x//y" || a.Env["Q"] != "a,]" {
		t.Errorf("got %+v", a)
	}
	p = write(t, dir, "bad.json", "{\n  // a comment\n  \"apps\": [{\"name\": \"b\", \"script\": \"x\", \"instaces\": 2,}],\n}\n")
	if _, err := Load(p, Options{}); err == nil || !strings.Contains(err.Error(), "bad.json:3:") {
		t.Errorf("error %v, want one at bad.json:3", err)
	}
}

// PM2's other spellings read as the keys they stand for; an error in one
// points at its own line.
func TestPM2Spellings(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "eco.yaml", "apps:\n  - name: a\n    script: x\n    exec_interpreter: python3\n    node_args: --x\n    out: o.log\n    err: e.log\n    combine_logs: true\n    cron: \"@daily\"\n")
	res, err := Load(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Apps[0]
	if a.Interpreter != "python3" || len(a.InterpreterArgs) != 1 || filepath.Base(a.OutFile) != "o.log" || filepath.Base(a.ErrorFile) != "e.log" || !a.MergeLogs || a.CronRestart != "@daily" {
		t.Errorf("got %+v", a)
	}
	p = write(t, dir, "bad.yaml", "apps:\n  - name: b\n    script: x\n    cron: \"* *\"\n")
	if _, err := Load(p, Options{}); err == nil || !strings.Contains(err.Error(), "bad.yaml:4:5: app \"b\": cron_restart") {
		t.Errorf("error %v, want one at bad.yaml:4:5", err)
	}
}

// Every key of PM2's ecosystem schema (pm2 7's lib/API/schema.json, and
// its aliases) loads: acted on, or ignored with a warning; none is an
// error, so no PM2 file fails to load for a key PM2 accepts.
func TestEveryPM2KeyLoads(t *testing.T) {
	keys := []string{"append_env_to_name", "args", "automation", "autorestart", "autostart", "cron_restart", "cwd",
		"deep_monitoring", "disable_logs", "disable_source_map_support", "disable_trace", "env", "error_file",
		"event_loop_inspector", "exec_interpreter", "exec_mode", "execute_command", "exp_backoff_restart_delay",
		"filter_env", "force", "gid", "ignore_watch", "increment_var", "install_url", "instance_var", "instances", "io",
		"kill_retry_time", "kill_timeout", "listen_timeout", "log_date_format", "log_file", "log_type",
		"max_memory_restart", "max_restarts", "merge_logs", "min_uptime", "name_prefix", "namespace", "node_args",
		"out_file", "pid_file", "pmx", "port", "post_update", "restart_delay", "shutdown_with_message",
		"source_map_support", "stop_exit_codes", "time", "trace", "treekill", "uid", "username", "v8", "vizion",
		"wait_ready", "watch", "watch_delay", "watch_options", "windowsHide", "write",
		// aliases
		"exec", "interpreter", "interpreterArgs", "interpreter_args", "out", "output", "out_log", "error", "err",
		"err_file", "err_log", "log", "pid", "cron", "combine_logs", "user"}
	for _, k := range keys {
		_, err := Parse("x.yaml", []byte("apps:\n  - name: a\n    script: x\n    "+k+": {}\n"))
		if err != nil && strings.Contains(err.Error(), "unknown key") {
			t.Errorf("PM2's key %q: %v", k, err)
		}
	}
}
