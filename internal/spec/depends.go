package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The conditions of depends_on: what a dependency must have reached
// before its dependent starts.
const (
	// DependStarted: every instance the dependency's record wants is
	// running (or, for a one-shot, finished with exit 0).
	DependStarted = "started"
	// DependReady: every such instance is online, by its readiness rule
	// or probe, and not failing its readiness probe.
	DependReady = "ready"
	// DependCompleted: every such instance exited 0 and the policy left
	// it stopped (a one-shot app: autorestart never or on-failure).
	DependCompleted = "completed"
)

// Conditions are the values a depends_on entry may take.
var Conditions = []string{DependStarted, DependReady, DependCompleted}

// Dependency is one entry of an app's depends_on.
type Dependency struct {
	App       string
	Condition string
}

func (d Dependency) String() string { return d.App + " (" + d.Condition + ")" }

// Dependencies returns a's depends_on, sorted by app name, so messages
// and waits are in a stable order.
func (a *App) Dependencies() []Dependency {
	out := make([]Dependency, 0, len(a.DependsOn))
	for _, name := range slices.Sorted(maps.Keys(a.DependsOn)) {
		out = append(out, Dependency{App: name, Condition: a.DependsOn[name]})
	}
	return out
}

// checkDepends reports what is wrong with a's own depends_on; names and
// cycles across apps are CheckGraph's.
func (a *App) checkDepends() []error {
	var errs []error
	for _, d := range a.Dependencies() {
		switch {
		case d.App == a.Name:
			errs = append(errs, &FieldError{App: a.Name, Key: "depends_on." + d.App, Msg: "names the app itself; an app cannot wait for itself"})
		case !slices.Contains(Conditions, d.Condition):
			errs = append(errs, &FieldError{App: a.Name, Key: "depends_on." + d.App,
				Msg: fmt.Sprintf("%q: want %s", d.Condition, strings.Join(Conditions, ", "))})
		}
	}
	if a.Propagate && len(a.DependsOn) == 0 {
		errs = append(errs, &FieldError{App: a.Name, Key: "propagate", Msg: "is set without depends_on: it restarts the app when a dependency restarts"})
	}
	return errs
}

// A Graph is which apps each app depends on, by name.
type Graph map[string][]string

// GraphOf is the dependency graph of apps.
func GraphOf(apps []*App) Graph {
	g := Graph{}
	for _, a := range apps {
		g[a.Name] = slices.Sorted(maps.Keys(a.DependsOn))
	}
	return g
}

// Cycle returns one cycle of g as a path that ends where it began
// (["a", "b", "a"]), or nil. It looks from each name in sorted order,
// so the cycle it reports is always the same one.
func (g Graph) Cycle() []string {
	const (
		unseen = iota
		onPath
		done
	)
	mark := map[string]int{}
	var path []string
	var visit func(string) []string
	visit = func(n string) []string {
		mark[n] = onPath
		path = append(path, n)
		for _, d := range g[n] {
			switch mark[d] {
			case onPath:
				i := slices.Index(path, d)
				return append(slices.Clone(path[i:]), d)
			case unseen:
				if _, known := g[d]; !known {
					continue // an unknown name is Unknown's to report
				}
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		mark[n] = done
		return nil
	}
	for _, n := range slices.Sorted(maps.Keys(g)) {
		if mark[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

// Unknown returns, for each app of g, the dependencies g does not hold.
func (g Graph) Unknown() map[string][]string {
	out := map[string][]string{}
	for n, deps := range g {
		for _, d := range deps {
			if _, ok := g[d]; !ok {
				out[n] = append(out[n], d)
			}
		}
	}
	return out
}

// StopLayers orders names for a stop: each layer may stop at once, and
// an app comes in a later layer than every app of names that depends on
// it, directly or through apps outside names, so dependents stop before
// what they depend on (systemd's reverse start order). Within a layer
// the names are sorted. A cycle (which validation refuses) is cut.
func (g Graph) StopLayers(names []string) [][]string {
	in := map[string]bool{}
	for _, n := range names {
		in[n] = true
	}
	// dependents[d]: the apps of names that need d, through any path.
	dependents := map[string][]string{}
	for _, n := range names {
		seen := map[string]bool{n: true}
		stack := slices.Clone(g[n])
		for len(stack) > 0 {
			d := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[d] {
				continue
			}
			seen[d] = true
			if in[d] {
				dependents[d] = append(dependents[d], n)
			}
			stack = append(stack, g[d]...)
		}
	}
	// depth: 0 for an app nothing in names needs; else one more than the
	// deepest of its dependents.
	depth := map[string]int{}
	var depthOf func(n string, guard int) int
	depthOf = func(n string, guard int) int {
		if v, ok := depth[n]; ok {
			return v
		}
		v := 0
		if guard <= len(names) {
			for _, p := range dependents[n] {
				v = max(v, depthOf(p, guard+1)+1)
			}
		}
		depth[n] = v
		return v
	}
	var layers [][]string
	for _, n := range slices.Sorted(maps.Keys(in)) {
		d := depthOf(n, 0)
		for len(layers) <= d {
			layers = append(layers, nil)
		}
		layers[d] = append(layers[d], n)
	}
	return layers
}

// Dependents returns the apps of g that depend on name, directly or
// through others, each once, the direct ones first.
func (g Graph) Dependents(name string) []string {
	var out []string
	seen := map[string]bool{name: true}
	frontier := []string{name}
	for len(frontier) > 0 {
		var next []string
		for _, n := range slices.Sorted(maps.Keys(g)) {
			if seen[n] {
				continue
			}
			for _, d := range g[n] {
				if slices.Contains(frontier, d) {
					seen[n] = true
					next = append(next, n)
					break
				}
			}
		}
		out = append(out, next...)
		frontier = next
	}
	return out
}
