// Package config reads the files that describe apps into []*spec.App:
// YAML and JSON ecosystem files, PM2's ecosystem.config.js (.cjs, .mjs,
// evaluated by node), and Procfiles. Nothing downstream knows which format
// an app came from.
//
// Reading is strict: an unknown key is an error with file:line:column and
// the nearest known key; a wrong type or value says what was expected;
// every problem of a file is reported at once. A PM2 key that tend does
// not support yet draws a warning naming it, never a silent drop. Paths
// are resolved against the file's directory, so a file means the same from
// wherever it is started.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

// Options select what Load returns.
type Options struct {
	// Profile picks env_<Profile> (tend start --env production).
	Profile string
	// Only keeps the apps of these names (--only a,b).
	Only []string
	// JSTimeout bounds an ecosystem.config.js's evaluation; 0 is
	// DefaultJSTimeout.
	JSTimeout time.Duration
}

// Error is one problem in a file, at a position when there is one.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Result is what Load read.
type Result struct {
	Apps     []*spec.App
	Warnings []string
}

// Load reads the file at path in the format its name says.
func Load(path string, opts Options) (*Result, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	var res *Result
	switch format(path) {
	case "js":
		res, err = loadJS(path, abs, cmp.Or(opts.JSTimeout, DefaultJSTimeout))
	case "procfile":
		res, err = loadProcfile(path)
	default:
		var b []byte
		if b, err = os.ReadFile(path); err == nil {
			if strings.HasSuffix(strings.ToLower(path), ".json") {
				b = looseJSON(b)
			}
			res, err = Parse(path, b)
		}
	}
	if err != nil {
		return nil, err
	}
	Resolve(res.Apps, filepath.Dir(abs))
	for _, a := range res.Apps {
		a.Source = abs
	}
	if err := selectApps(path, res, opts); err != nil {
		return nil, err
	}
	return res, nil
}

// IsFile reports whether p names a file Load reads (by its name).
func IsFile(p string) bool { return format(p) != "" }

func format(p string) string {
	base := strings.ToLower(filepath.Base(p))
	switch {
	case strings.HasSuffix(base, ".yaml"), strings.HasSuffix(base, ".yml"), strings.HasSuffix(base, ".json"):
		return "yaml"
	case strings.HasPrefix(base, "procfile"):
		return "procfile"
	case strings.HasSuffix(base, ".config.js"), strings.HasSuffix(base, ".config.cjs"), strings.HasSuffix(base, ".config.mjs"):
		return "js"
	}
	return ""
}

// selectApps applies --only and --env.
func selectApps(path string, res *Result, opts Options) error {
	var errs []error
	if len(opts.Only) > 0 {
		var names []string
		for _, a := range res.Apps {
			names = append(names, a.Name)
		}
		for _, n := range opts.Only {
			if !slices.Contains(names, n) {
				errs = append(errs, &Error{File: path, Msg: fmt.Sprintf("--only %s: no such app; the file has %s", n, strings.Join(names, ", "))})
			}
		}
		res.Apps = slices.DeleteFunc(res.Apps, func(a *spec.App) bool { return !slices.Contains(opts.Only, a.Name) })
	}
	if opts.Profile != "" {
		found := false
		for _, a := range res.Apps {
			if _, ok := a.Profiles[opts.Profile]; ok {
				a.Profile = opts.Profile
				found = true
			}
		}
		if !found {
			errs = append(errs, &Error{File: path, Msg: fmt.Sprintf("--env %s: no app has env_%s", opts.Profile, opts.Profile)})
		}
	}
	return errors.Join(errs...)
}

// Resolve makes relative cwd, script and env_file paths absolute against
// dir.
func Resolve(apps []*spec.App, dir string) {
	for _, a := range apps {
		// ~ is the home directory, as PM2 reads it.
		for _, p := range []*string{&a.Cwd, &a.Script, &a.Interpreter, &a.OutFile, &a.ErrorFile} {
			*p = expandHome(*p)
		}
		for i := range a.EnvFile {
			a.EnvFile[i] = expandHome(a.EnvFile[i])
		}
		if a.Cwd == "" {
			a.Cwd = dir
		} else if !filepath.IsAbs(a.Cwd) {
			a.Cwd = filepath.Join(dir, a.Cwd)
		}
		if !a.Shell && a.Script != "" && !filepath.IsAbs(a.Script) {
			if p := filepath.Join(a.Cwd, a.Script); exists(p) {
				a.Script = p
			}
		}
		for _, p := range []*string{&a.OutFile, &a.ErrorFile} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
		for i, f := range a.EnvFile {
			if !filepath.IsAbs(f) {
				a.EnvFile[i] = filepath.Join(dir, f)
			}
		}
	}
}

// expandHome replaces a leading ~ or ~/ with the home directory.
func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, p[1:])
}

func exists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}
