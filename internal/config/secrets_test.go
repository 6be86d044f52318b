package config

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tend-pm/tend/internal/dotenv"
	"github.com/tend-pm/tend/internal/spec"
)

// TestSaveRoundTrip: apps written as save writes them (secrets split into
// env files, the profile folded in) read back to the same specs otherwise,
// and to the same environment.
func TestSaveRoundTrip(t *testing.T) {
	dir := t.TempDir()
	nasty := []string{"plain", "with $dollar and ${BRACES}", "it's quoted", "multi\nline", "back`tick'and\nnewline", `back\slash "dq"`}
	for _, expand := range []bool{true, false} {
		for _, v := range nasty {
			app := &spec.App{Name: "api", Script: "/bin/x", Cwd: dir, EnvExpand: &expand,
				Env:      map[string]string{"MODE": "dev", "API_TOKEN": v, "PLAIN": "p"},
				Profiles: map[string]map[string]string{"prod": {"MODE": "prod", "DB_PASSWORD": v}}, Profile: "prod"}
			want := maps.Clone(app.Env)
			maps.Copy(want, app.ProfileEnv())

			saved := []*spec.App{app.Clone()}
			secrets := SplitSecrets(saved)
			sp := filepath.Join(dir, "dump.api.secrets.env")
			os.WriteFile(sp, []byte(secrets["api"]), 0o600)
			saved[0].EnvFile = append(saved[0].EnvFile, sp)
			b, err := Marshal(saved)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), v) && v != "plain" {
				t.Errorf("secret %q in the saved file:\n%s", v, b)
			}
			p := filepath.Join(dir, "dump.yaml")
			os.WriteFile(p, b, 0o600)
			res, err := Load(p, Options{})
			if err != nil {
				t.Fatalf("Load(saved) = %v\n%s", err, b)
			}
			got := res.Apps[0]
			env := map[string]string{}
			src, _ := os.ReadFile(got.EnvFile[0])
			pairs := dotenv.Parse(string(src))
			if got.Expands() {
				pairs = dotenv.Expand(pairs, nil)
			}
			for _, kv := range pairs {
				env[kv.Key] = kv.Value
			}
			maps.Copy(env, got.Env)
			if !maps.Equal(env, want) {
				t.Errorf("expand=%v value %q: environment after the round trip\n%q\nwant\n%q", expand, v, env, want)
			}
			if got.Script != app.Script || got.Cwd != app.Cwd || got.Name != app.Name || *got.EnvExpand != expand {
				t.Errorf("spec changed: %+v", *got)
			}
		}
	}
}
