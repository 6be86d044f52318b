package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

func TestParseForms(t *testing.T) {
	for _, src := range []string{
		"apps:\n  - name: a\n    script: /bin/a\n    restart_delay: 250\n    kill_timeout: 2s\n",
		"- name: a\n  script: /bin/a\n  restart_delay: 250ms\n  kill_timeout: 2000\n",
		`{"apps": [{"name": "a", "script": "/bin/a", "restart_delay": 250, "kill_timeout": "2s"}]}`,
		`[{"name": "a", "script": "/bin/a", "restart_delay": "250ms", "kill_timeout": 2000}]`,
	} {
		res, err := Parse("f", []byte(src))
		if err != nil {
			t.Errorf("Parse(%q): %v", src, err)
			continue
		}
		a := res.Apps[0]
		if a.Name != "a" || a.RestartDelay.D() != 250*time.Millisecond || a.KillTimeout.D() != 2*time.Second {
			t.Errorf("Parse(%q) = %+v", src, a)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"apps:\n  - name: a\n    scirpt: x\n", `eco.yaml:3:5: unknown key "scirpt"; did you mean "script"?`},
		{"apps:\n  - name: a\n    script: x\n    instaces: 2\n", `eco.yaml:4:5: unknown key "instaces"; did you mean "instances"?`},
		{"apps:\n  - name: a\n    script: x\n    kill_timeout: soon\n", `eco.yaml:4:19: kill_timeout: invalid duration "soon"`},
		{"apps:\n  - name: a\n    script: x\n    autorestart: sometimes\n", `invalid restart policy "sometimes"`},
		{"apps: [\n", "eco.yaml:"},
		{"apps: []\n", "no apps"},
		{"apps:\n  - name: a\n", `script is empty`},
	}
	for _, tt := range tests {
		_, err := Parse("eco.yaml", []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want %q", tt.src, err, tt.want)
		}
	}
}

func TestLoadResolvesPathsAgainstTheFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "run.sh"), []byte("#!/bin/sh\n"), 0o755)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "eco.yaml"), []byte("apps:\n  - name: a\n    script: run.sh\n  - name: b\n    script: sleep\n    cwd: sub\n"), 0o644)
	res, err := Load(filepath.Join(dir, "eco.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	apps := res.Apps
	if apps[0].Script != filepath.Join(dir, "run.sh") || apps[0].Cwd != dir {
		t.Errorf("a: script %q cwd %q", apps[0].Script, apps[0].Cwd)
	}
	if apps[1].Script != "sleep" || apps[1].Cwd != filepath.Join(dir, "sub") {
		t.Errorf("b: script %q cwd %q", apps[1].Script, apps[1].Cwd)
	}
}

// TestMarshalRoundTrip: what save writes, Load reads back to the same apps.
func TestMarshalRoundTrip(t *testing.T) {
	mu := spec.Duration(500 * time.Millisecond)
	in := []*spec.App{{
		Name: "api", Script: "/srv/api", Args: []string{"--port", "3000"}, Cwd: "/srv", Instances: 2,
		Env: map[string]string{"MODE": "prod"}, Autorestart: spec.RestartOnFailure, StopExitCodes: []int{0, 3},
		RestartDelay: spec.Duration(time.Second), MaxRestarts: 5, RestartWindow: spec.Duration(time.Minute),
		MinUptime: &mu, KillTimeout: spec.Duration(3 * time.Second), StopSignal: "SIGINT",
	}}
	b, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Parse("dump.yaml", b)
	if err != nil {
		t.Fatalf("Parse(Marshal) = %v\n%s", err, b)
	}
	if !reflect.DeepEqual(in, res.Apps) {
		t.Errorf("round trip changed the apps:\n%+v\n%+v\n%s", in[0], res.Apps[0], b)
	}
}
