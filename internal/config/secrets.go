package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tend-pm/tend/internal/spec"
)

// SplitSecrets prepares live apps for a saved file: the chosen profile's
// env is folded into env (a saved file is a snapshot of what runs), and
// every secret value leaves env. It returns, per app, the secrets as the
// text of a .env file that reads back to the same values; the caller
// writes it (0600) and adds its path to the app's env_file.
func SplitSecrets(apps []*spec.App) map[string]string {
	out := map[string]string{}
	for _, a := range apps {
		env := maps.Clone(a.Env)
		if env == nil {
			env = map[string]string{}
		}
		maps.Copy(env, a.ProfileEnv())
		a.Profiles, a.Profile = nil, ""
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(env)) {
			if a.IsSecret(k, env[k]) {
				fmt.Fprintf(&b, "%s=%s\n", k, dotenvQuote(env[k], a.Expands()))
				delete(env, k)
			}
		}
		a.Env = env
		if len(a.Env) == 0 {
			a.Env = nil
		}
		if b.Len() > 0 {
			out[a.Name] = b.String()
		}
	}
	return out
}

// dotenvQuote writes v so that dotenv (and, when expand, dotenv-expand)
// reads it back unchanged.
func dotenvQuote(v string, expand bool) string {
	if expand {
		v = strings.ReplaceAll(v, "$", `\$`)
	}
	switch {
	case !strings.ContainsAny(v, "'\n\r"):
		return "'" + v + "'"
	case !strings.ContainsAny(v, "`\r"):
		return "`" + v + "`"
	}
	return `"` + strings.ReplaceAll(strings.ReplaceAll(v, "\n", `\n`), "\r", `\r`) + `"`
}
