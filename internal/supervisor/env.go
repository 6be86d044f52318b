package supervisor

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/tend-pm/tend/internal/dotenv"
	"github.com/tend-pm/tend/internal/spec"
)

// baseKeys are taken from the daemon's own environment as the floor of
// every instance's (DESIGN §5).
var baseKeys = []string{"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TZ", "TMPDIR"}

// Environ is the environment of instance id of app, later layers winning
// (DESIGN §5): the daemon's base, the caller's captured environment, the
// env files in order (read now, so a restart sees their current content),
// env, the chosen profile's env, then tend's own variables. It fails when
// an env file cannot be read or a required variable is missing.
func Environ(app *spec.App, id int) ([]string, error) {
	env, err := userEnv(app)
	if err != nil {
		return nil, err
	}
	if _, set := env["PYTHONUNBUFFERED"]; !set && app.IsPython() {
		// As PM2 does: Python holds its output in a buffer when it
		// writes to a pipe, and logs and crash reports would lag.
		env["PYTHONUNBUFFERED"] = "1"
	}
	env["TEND_APP"] = app.Name
	env["TEND_INSTANCE"] = strconv.Itoa(id)
	env["NODE_APP_INSTANCE"] = strconv.Itoa(id)
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out, nil
}

// userEnv is every layer below tend's own variables, checked against
// required_env.
func userEnv(app *spec.App) (map[string]string, error) {
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
	// An app with a user of its own gets that user's HOME, USER and
	// LOGNAME, not the caller's (root's); its own env may still set them.
	id, err := app.Identity()
	if err != nil {
		return nil, err
	}
	if id != nil && app.User != "" {
		env["HOME"], env["USER"], env["LOGNAME"] = id.Home, id.User, id.User
	}
	for _, f := range app.EnvFile {
		if err := layerFile(env, f, app.Expands()); err != nil {
			return nil, fmt.Errorf("app %q: env_file: %w", app.Name, err)
		}
	}
	maps.Copy(env, app.Env)
	maps.Copy(env, app.ProfileEnv())
	var missing []string
	for _, k := range app.RequiredEnv {
		if env[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("app %q: required env %s not set; looked in %s",
			app.Name, strings.Join(missing, ", "), strings.Join(places(app), ", "))
	}
	return env, nil
}

// layerFile lays a .env file over env. The file's values win over the
// layers below (unlike dotenv's default), and its ${VAR} references see
// those layers and the file's own earlier keys, as dotenv-expand does.
func layerFile(env map[string]string, path string, expand bool) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	pairs := dotenv.Parse(string(b))
	if expand {
		below := maps.Clone(env)
		for _, p := range pairs {
			delete(below, p.Key)
		}
		pairs = dotenv.Expand(pairs, below)
	}
	for _, p := range pairs {
		env[p.Key] = p.Value
	}
	return nil
}

// places names where Environ looks, for the required_env error.
func places(app *spec.App) []string {
	out := []string{"the environment of `tend start`"}
	for _, f := range app.EnvFile {
		out = append(out, "env_file "+f)
	}
	out = append(out, "env")
	if app.Profile != "" {
		out = append(out, "env_"+app.Profile)
	}
	return out
}
