package config

import (
	"go.yaml.in/yaml/v3"

	"github.com/tend-pm/tend/internal/spec"
)

// poolFields decode the keys of pool:.
var poolFields = map[string]func(p *spec.Pool, v *yaml.Node) error{
	"queue_max":    func(p *spec.Pool, v *yaml.Node) error { return typeErr(v.Decode(&p.QueueMax), "a whole number") },
	"task_timeout": func(p *spec.Pool, v *yaml.Node) error { return text(v, &p.TaskTimeout) },
	"retries":      func(p *spec.Pool, v *yaml.Node) error { return typeErr(v.Decode(&p.Retries), "a whole number") },
	"per_worker":   func(p *spec.Pool, v *yaml.Node) error { return typeErr(v.Decode(&p.PerWorker), "a whole number") },
	"max_tasks_per_worker": func(p *spec.Pool, v *yaml.Node) error {
		return typeErr(v.Decode(&p.MaxTasksPerWorker), "a whole number")
	},
}

func pool(v *yaml.Node) (*spec.Pool, error) {
	return mapping(v, poolFields, "{queue_max: 10000, task_timeout: 30s}")
}
