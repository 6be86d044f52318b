package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tend-pm/tend/internal/spec"
)

func envMap(t *testing.T, a *spec.App) map[string]string {
	t.Helper()
	kv, err := Environ(a, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range kv {
		k, v, _ := strings.Cut(e, "=")
		m[k] = v
	}
	return m
}

// TestEnvironLayers: later layers win: caller, files in order, env,
// profile, tend's own.
func TestEnvironLayers(t *testing.T) {
	dir := t.TempDir()
	f1, f2 := filepath.Join(dir, ".env"), filepath.Join(dir, ".env.local")
	os.WriteFile(f1, []byte("FROM=file1\nFILE1=yes\nURL=http://${HOST}:${PORT:-80}/\nTEND_APP=spoofed\n"), 0o600)
	os.WriteFile(f2, []byte("FROM=file2\nLOCAL=$FILE1\n"), 0o600)
	a := &spec.App{
		Name: "api", Script: "x",
		CallerEnv: map[string]string{"FROM": "caller", "HOST": "h", "CALLER": "yes", "PATH": "/caller/bin"},
		EnvFile:   []string{f1, f2},
		Env:       map[string]string{"FROM_ENV": "env", "MODE": "dev"},
		Profiles:  map[string]map[string]string{"production": {"MODE": "prod"}},
		Profile:   "production",
	}
	m := envMap(t, a)
	want := map[string]string{
		"FROM": "file2", "FILE1": "yes", "LOCAL": "yes", "URL": "http://h:80/", "CALLER": "yes",
		"PATH": "/caller/bin", "FROM_ENV": "env", "MODE": "prod",
		"TEND_APP": "api", "TEND_INSTANCE": "1", "NODE_APP_INSTANCE": "1",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	// A variable removed from a file is gone at the next start.
	os.WriteFile(f2, []byte("LOCAL=changed\n"), 0o600)
	m = envMap(t, a)
	if m["FROM"] != "file1" || m["LOCAL"] != "changed" {
		t.Errorf("after editing the file: FROM=%q LOCAL=%q", m["FROM"], m["LOCAL"])
	}
	off := false
	a.EnvExpand = &off
	if m = envMap(t, a); m["URL"] != "http://${HOST}:${PORT:-80}/" {
		t.Errorf("env_expand false: URL=%q", m["URL"])
	}
}

func TestRequiredEnvNamesWhatAndWhere(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, ".env")
	os.WriteFile(f, []byte("HAVE=1\nEMPTY=\n"), 0o600)
	a := &spec.App{Name: "api", Script: "x", EnvFile: []string{f}, RequiredEnv: []string{"HAVE", "DATABASE_URL", "EMPTY"},
		Profiles: map[string]map[string]string{"production": {}}, Profile: "production"}
	_, err := Environ(a, 0)
	want := `app "api": required env DATABASE_URL, EMPTY not set; looked in the environment of ` + "`tend start`" + `, env_file ` + f + `, env, env_production`
	if err == nil || err.Error() != want {
		t.Errorf("Environ error =\n%v\nwant\n%s", err, want)
	}
	a.EnvFile = []string{filepath.Join(dir, "missing.env")}
	if _, err := Environ(a, 0); err == nil || !strings.Contains(err.Error(), "env_file: open "+dir+"/missing.env: no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// A Python app's output is not held in a pipe buffer (PYTHONUNBUFFERED=1,
// as PM2 sets it), unless the app says otherwise; other apps get nothing.
func TestPythonIsUnbuffered(t *testing.T) {
	tests := []struct {
		app  spec.App
		want string
	}{
		{spec.App{Name: "py", Script: "app.py", Interpreter: "python3"}, "1"},
		{spec.App{Name: "py", Script: "/usr/bin/python3.11", Args: []string{"-m", "http.server"}}, "1"},
		{spec.App{Name: "py", Script: "app.py", Interpreter: "/usr/bin/python3", Env: map[string]string{"PYTHONUNBUFFERED": "0"}}, "0"},
		{spec.App{Name: "node", Script: "app.js", Interpreter: "node"}, ""},
		{spec.App{Name: "sh", Script: "python3 app.py", Shell: true}, ""},
	}
	for _, tt := range tests {
		if got := envMap(t, &tt.app)["PYTHONUNBUFFERED"]; got != tt.want {
			t.Errorf("%+v: PYTHONUNBUFFERED=%q, want %q", tt.app, got, tt.want)
		}
	}
}
