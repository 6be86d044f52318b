package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/tend-pm/tend/internal/spec"
)

// nodeError is a problem inside a key's value, at the line of the inner
// key it is about (health: … interval: 5 minutes).
type nodeError struct {
	n   *yaml.Node
	key string
	err error
}

func (e *nodeError) Error() string {
	if e.key == "" {
		return e.err.Error()
	}
	return e.key + ": " + e.err.Error()
}

// probeFields decode the keys of a probe (health:, readiness:).
var probeFields = map[string]func(p *spec.Probe, v *yaml.Node) error{
	"http": func(p *spec.Probe, v *yaml.Node) error { return scalar(v, &p.HTTP) },
	"tcp":  func(p *spec.Probe, v *yaml.Node) error { return scalar(v, &p.TCP) },
	"exec": func(p *spec.Probe, v *yaml.Node) error {
		if v.Kind == yaml.ScalarNode {
			var line string
			if err := scalar(v, &line); err != nil {
				return err
			}
			p.Exec = []string{"/bin/sh", "-c", line} // a string is a shell command, as cmd: is
			return nil
		}
		argv, err := stringList(v)
		if err != nil {
			return errors.New("want a command line or a list: [./check, --quick]")
		}
		p.Exec = argv
		return nil
	},
	"headers": func(p *spec.Probe, v *yaml.Node) error {
		m, err := stringMap(v)
		p.Headers = m
		return err
	},
	"expect_status": func(p *spec.Probe, v *yaml.Node) error {
		if v.Kind == yaml.ScalarNode {
			n, err := strconv.Atoi(v.Value)
			p.ExpectStatus = []int{n}
			return typeErr(err, "a status or a list of them")
		}
		return typeErr(v.Decode(&p.ExpectStatus), "a list of statuses")
	},
	"interval":     func(p *spec.Probe, v *yaml.Node) error { return text(v, &p.Interval) },
	"timeout":      func(p *spec.Probe, v *yaml.Node) error { return text(v, &p.Timeout) },
	"start_period": func(p *spec.Probe, v *yaml.Node) error { return text(v, &p.StartPeriod) },
	"failure_threshold": func(p *spec.Probe, v *yaml.Node) error {
		return typeErr(v.Decode(&p.FailureThreshold), "a whole number")
	},
	"success_threshold": func(p *spec.Probe, v *yaml.Node) error {
		return typeErr(v.Decode(&p.SuccessThreshold), "a whole number")
	},
}

// probe decodes a probe mapping; an error inside it is a *nodeError at
// the inner key.
func probe(v *yaml.Node) (*spec.Probe, error) {
	return mapping(v, probeFields, "{http: http://127.0.0.1:${PORT}/healthz, interval: 5s}")
}

// mapping decodes a mapping of known keys into a new T; an unknown key
// names the nearest known one, and an error inside a key is a
// *nodeError at it.
func mapping[T any](v *yaml.Node, fields map[string]func(*T, *yaml.Node) error, example string) (*T, error) {
	if v.Kind != yaml.MappingNode {
		return nil, errors.New("want a mapping such as " + example)
	}
	p := new(T)
	var errs []error
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		set, ok := fields[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if near := nearest(k.Value, slices.Sorted(maps.Keys(fields))); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			errs = append(errs, &nodeError{k, "", errors.New(msg)})
			continue
		}
		if err := set(p, val); err != nil {
			errs = append(errs, &nodeError{val, k.Value, err})
		}
	}
	return p, errors.Join(errs...)
}
