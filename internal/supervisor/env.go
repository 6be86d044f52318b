package supervisor

import (
	"maps"
	"os"
	"slices"
	"strconv"

	"github.com/tend-pm/tend/internal/spec"
)

// baseKeys are taken from the daemon's own environment as the floor of
// every instance's (DESIGN §5).
var baseKeys = []string{"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TZ", "TMPDIR"}

// Environ is the environment of instance id of app, later layers winning:
// the daemon's base, the caller's captured environment, the app's env,
// then tend's own variables.
func Environ(app *spec.App, id int) []string {
	env := map[string]string{}
	for _, k := range baseKeys {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	if _, ok := env["PATH"]; !ok {
		env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
	}
	maps.Copy(env, app.CallerEnv)
	maps.Copy(env, app.Env)
	env["TEND_APP"] = app.Name
	env["TEND_INSTANCE"] = strconv.Itoa(id)
	env["NODE_APP_INSTANCE"] = strconv.Itoa(id)
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}
