package config

import (
	"go.yaml.in/yaml/v3"

	"github.com/tend-pm/tend/internal/spec"
)

// Marshal writes apps as an ecosystem YAML file that Load reads back.
func Marshal(apps []*spec.App) ([]byte, error) {
	type file struct {
		Apps []yaml.Node `yaml:"apps"`
	}
	var f file
	for _, a := range apps {
		var n yaml.Node
		if err := n.Encode(a); err != nil {
			return nil, err
		}
		// The chosen profile is written out as env_<profile> keys.
		for p, env := range a.Profiles {
			var k, v yaml.Node
			k.SetString("env_" + p)
			if err := v.Encode(env); err != nil {
				return nil, err
			}
			n.Content = append(n.Content, &k, &v)
		}
		f.Apps = append(f.Apps, n)
	}
	return yaml.Marshal(f)
}
