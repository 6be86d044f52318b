package logs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tend-pm/tend/internal/spec"
)

// Paths are the files of instance id of app: out_file and error_file
// when set (with -<id> added for several instances that do not merge),
// else home/logs/<app>-<id>-out.log, or <app>-out.log with merge_logs.
// With no home (tend run) and no file set, a path is "": output goes to
// the terminal only.
func Paths(home string, app *spec.App, id int) (out, errp string) {
	return path(home, app, id, "out", app.OutFile), path(home, app, id, "err", app.ErrorFile)
}

func path(home string, app *spec.App, id int, stream, set string) string {
	if set != "" {
		if app.MergeLogs || app.Instances <= 1 || set == os.DevNull {
			return set
		}
		ext := filepath.Ext(set)
		return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(set, ext), id, ext)
	}
	if home == "" {
		return ""
	}
	if app.MergeLogs {
		return filepath.Join(home, "logs", fmt.Sprintf("%s-%s.log", app.Name, stream))
	}
	return filepath.Join(home, "logs", fmt.Sprintf("%s-%d-%s.log", app.Name, id, stream))
}
