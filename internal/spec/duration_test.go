package spec

import (
	"strings"
	"testing"
	"time"
)

var parseDurationTests = []struct {
	in   string
	want time.Duration
}{
	{"1.5s", 1500 * time.Millisecond},
	{"300ms", 300 * time.Millisecond},
	{"300", 300 * time.Millisecond}, // bare milliseconds, as PM2
	{"0", 0},
	{" 2m ", 2 * time.Minute},
	{"1h2m3s", time.Hour + 2*time.Minute + 3*time.Second},
}

var parseDurationErrorTests = []struct {
	in, want string
}{
	{"", "empty"},
	{"5x", `invalid duration "5x": want a number with a unit`},
	{"-1s", "negative"},
	{"-5", "negative"},
	{"s", "invalid duration"},
	{"2001700000000000", "too large"},
}

func TestParseDuration(t *testing.T) {
	for _, tt := range parseDurationTests {
		got, err := ParseDuration(tt.in)
		if err != nil || got.D() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range parseDurationErrorTests {
		_, err := ParseDuration(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDuration(%q) error = %v, want one containing %q", tt.in, err, tt.want)
		}
	}
}

// FuzzParseDuration: no panic, and what parses prints back to the same
// value.
func FuzzParseDuration(f *testing.F) {
	for _, tt := range parseDurationTests {
		f.Add(tt.in)
	}
	for _, tt := range parseDurationErrorTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v; its String %q parses to %v, %v", s, d, d.String(), back, err)
		}
	})
}

func TestParseSignal(t *testing.T) {
	for _, in := range []string{"SIGTERM", "TERM", "term", "15", " sigterm "} {
		if sig, err := ParseSignal(in); err != nil || SignalName(sig) != "SIGTERM" {
			t.Errorf("ParseSignal(%q) = %v, %v; want SIGTERM", in, sig, err)
		}
	}
	for _, in := range []string{"", "SIGFOO", "999", "1.5", "15x"} {
		if _, err := ParseSignal(in); err == nil {
			t.Errorf("ParseSignal(%q) succeeded; want an error", in)
		}
	}
}

func TestParseRestartPolicy(t *testing.T) {
	ok := map[string]RestartPolicy{"always": RestartAlways, "true": RestartAlways, "on-failure": RestartOnFailure,
		"on_failure": RestartOnFailure, "never": RestartNever, "false": RestartNever, "NEVER": RestartNever}
	for in, want := range ok {
		if got, err := ParseRestartPolicy(in); err != nil || got != want {
			t.Errorf("ParseRestartPolicy(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseRestartPolicy("sometimes"); err == nil {
		t.Error(`ParseRestartPolicy("sometimes") succeeded`)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	a := &App{Name: "bad name", Script: " ", Instances: -1, MaxRestarts: -2, StopSignal: "SIGNOPE", Env: map[string]string{"A=B": "x"}}
	err := a.Validate()
	if err == nil {
		t.Fatal("Validate succeeded")
	}
	for _, want := range []string{`name "bad name"`, "script is empty", "instances -1", "max_restarts -2", `invalid signal "SIGNOPE"`, `env key "A=B"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %q:\n%v", want, err)
		}
	}
}

func TestArgv(t *testing.T) {
	tests := []struct {
		app  App
		want string
	}{
		{App{Script: "/bin/server", Args: []string{"--port", "3000"}}, "/bin/server --port 3000"},
		{App{Script: "app.js", Args: []string{"x"}}, "node app.js x"},
		{App{Script: "job.py"}, "python3 job.py"},
		{App{Script: "app.js", Interpreter: "none"}, "app.js"},
		{App{Script: "app.js", Interpreter: "bun", InterpreterArgs: []string{"--smol"}}, "bun --smol app.js"},
		{App{Script: "echo $HOME", Shell: true, Args: []string{"it's"}}, `/bin/sh -c echo $HOME 'it'\''s'`},
	}
	for _, tt := range tests {
		a := tt.app
		a.Name = "x"
		a.Canonicalize()
		if got := strings.Join(a.Argv(), " "); got != tt.want {
			t.Errorf("Argv(%+v) = %q, want %q", tt.app, got, tt.want)
		}
	}
}

func TestMaskedHidesSecretsOnly(t *testing.T) {
	a := &App{Name: "x", Script: "y", SecretEnv: []string{"DSN"}, Env: map[string]string{
		"DSN": "pg://u:p@h", "API_TOKEN": "t", "DB_PASSWORD": "p", "PRIVATE_KEY": "k", "MODE": "prod"}}
	m := a.Masked()
	for k, v := range m.Env {
		if (k == "MODE") != (v != "*****") {
			t.Errorf("Masked: %s=%s", k, v)
		}
	}
	if a.Env["DSN"] != "pg://u:p@h" {
		t.Error("Masked changed the original")
	}
}
