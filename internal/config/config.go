// Package config reads ecosystem files into []*spec.App: YAML (and JSON,
// which is YAML) as `apps: [...]` or a bare list. Unknown keys are errors
// that give file:line and the nearest known key. Paths in a file are
// resolved against the file's directory, so a file means the same from
// wherever it is started.
//
// This is the minimal reader of the core; PM2's ecosystem.config.js,
// Procfiles, dotenv files and profiles come with the config issue.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tend-pm/tend/internal/spec"
)

// file is the shape of an ecosystem file.
type file struct {
	Apps []*spec.App `yaml:"apps"`
}

// Load reads the ecosystem file at path.
func Load(path string) ([]*spec.App, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	apps, err := Parse(path, b)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	Resolve(apps, filepath.Dir(abs))
	return apps, nil
}

// Parse decodes b; name is used in messages.
func Parse(name string, b []byte) ([]*spec.App, error) {
	var f file
	trimmed := bytes.TrimSpace(b)
	var err error
	if len(trimmed) > 0 && trimmed[0] == '[' || isList(trimmed) {
		err = strictDecode(b, &f.Apps)
	} else {
		err = strictDecode(b, &f)
	}
	if err != nil {
		return nil, explain(name, b, err)
	}
	if len(f.Apps) == 0 {
		return nil, fmt.Errorf("%s: no apps: write them under `apps:`", name)
	}
	var errs []error
	for i, a := range f.Apps {
		if a == nil {
			errs = append(errs, fmt.Errorf("%s: app #%d is empty", name, i+1))
			continue
		}
		if err := a.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return f.Apps, errors.Join(errs...)
}

func isList(b []byte) bool { return bytes.HasPrefix(b, []byte("- ")) }

func strictDecode(b []byte, v any) error {
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	return d.Decode(v)
}

var (
	unknownRE = regexp.MustCompile(`line (\d+): field (\S+) not found in type`)
	lineRE    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// explain turns yaml's errors into "file:line: what; did you mean".
func explain(name string, src []byte, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := lineRE.FindStringSubmatch(msg); m != nil {
			return fmt.Errorf("%s:%s: %s", name, m[1], m[2])
		}
		// A value's own parser (a duration, a policy) does not know where
		// the value stood; find the quoted value in the document.
		if line := locate(src, msg); line > 0 {
			return fmt.Errorf("%s:%d: %s", name, line, msg)
		}
		return fmt.Errorf("%s: %s", name, msg)
	}
	var errs []error
	for _, e := range te.Errors {
		if m := unknownRE.FindStringSubmatch(e); m != nil {
			msg := fmt.Sprintf("%s:%s: unknown key %q", name, m[1], m[2])
			if near := nearest(m[2], KnownKeys()); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			errs = append(errs, errors.New(msg))
			continue
		}
		if m := lineRE.FindStringSubmatch(e); m != nil {
			errs = append(errs, fmt.Errorf("%s:%s: %s", name, m[1], m[2]))
			continue
		}
		errs = append(errs, fmt.Errorf("%s: %s", name, e))
	}
	return errors.Join(errs...)
}

var quotedRE = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)

// locate returns the line of the first scalar whose value is quoted in
// msg, or 0.
func locate(src []byte, msg string) int {
	m := quotedRE.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil {
		return 0
	}
	var find func(n *yaml.Node) int
	find = func(n *yaml.Node) int {
		if n.Kind == yaml.ScalarNode && n.Value == m[1] {
			return n.Line
		}
		for _, c := range n.Content {
			if l := find(c); l > 0 {
				return l
			}
		}
		return 0
	}
	return find(&doc)
}

// KnownKeys lists the keys an app may have.
func KnownKeys() []string {
	t := reflect.TypeFor[spec.App]()
	var keys []string
	for i := range t.NumField() {
		k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}

// nearest returns the known key closest to k, if close enough to be a typo.
func nearest(k string, known []string) string {
	best, bestD := "", len(k)/2+2
	for _, c := range known {
		if d := distance(k, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Resolve makes relative cwd and script paths absolute against dir.
func Resolve(apps []*spec.App, dir string) {
	for _, a := range apps {
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
	}
}

func exists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// Marshal writes apps as an ecosystem YAML file that Load reads back.
func Marshal(apps []*spec.App) ([]byte, error) {
	return yaml.Marshal(file{Apps: apps})
}
