package spec

import (
	"reflect"
	"strings"
	"testing"
)

func TestCycle(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    Graph
		want []string
	}{
		{"none", Graph{"api": {"db"}, "db": nil}, nil},
		{"diamond", Graph{"web": {"api", "cache"}, "api": {"db"}, "cache": {"db"}, "db": nil}, nil},
		{"two", Graph{"a": {"b"}, "b": {"a"}}, []string{"a", "b", "a"}},
		{"three, seen from the first name", Graph{"x": {"y"}, "y": {"z"}, "z": {"x"}}, []string{"x", "y", "z", "x"}},
		{"behind a tail", Graph{"a": {"b"}, "b": {"c"}, "c": {"b"}}, []string{"b", "c", "b"}},
		{"self", Graph{"a": {"a"}}, []string{"a", "a"}},
		{"unknown names are not a cycle", Graph{"a": {"ghost"}}, nil},
	} {
		if got := tc.g.Cycle(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Cycle() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUnknown(t *testing.T) {
	g := Graph{"api": {"db", "cache"}, "db": nil}
	if got := g.Unknown(); !reflect.DeepEqual(got, map[string][]string{"api": {"cache"}}) {
		t.Errorf("Unknown() = %v", got)
	}
}

func TestStopLayers(t *testing.T) {
	chain := Graph{"web": {"api"}, "api": {"db", "migrate"}, "migrate": {"db"}, "db": nil, "lone": nil}
	for _, tc := range []struct {
		name  string
		g     Graph
		names []string
		want  [][]string
	}{
		{"no dependencies: one layer", Graph{"a": nil, "b": nil}, []string{"b", "a"}, [][]string{{"a", "b"}}},
		{"dependents first", chain, []string{"db", "api", "web", "migrate", "lone"},
			[][]string{{"lone", "web"}, {"api"}, {"migrate"}, {"db"}}},
		{"only the named are waited for", chain, []string{"db", "web"}, [][]string{{"web"}, {"db"}}},
		{"a dependency alone", chain, []string{"db"}, [][]string{{"db"}}},
		{"a cycle still ends", Graph{"a": {"b"}, "b": {"a"}}, []string{"a", "b"}, nil},
	} {
		got := tc.g.StopLayers(tc.names)
		if tc.want == nil { // only that it returns every name once
			n := 0
			for _, l := range got {
				n += len(l)
			}
			if n != len(tc.names) {
				t.Errorf("%s: StopLayers = %v, want each of %v once", tc.name, got, tc.names)
			}
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: StopLayers(%v) = %v, want %v", tc.name, tc.names, got, tc.want)
		}
	}
}

func TestDependents(t *testing.T) {
	g := Graph{"web": {"api"}, "api": {"db"}, "report": {"db"}, "db": nil, "lone": nil}
	if got, want := g.Dependents("db"), []string{"api", "report", "web"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Dependents(db) = %v, want %v", got, want)
	}
	if got := g.Dependents("lone"); len(got) != 0 {
		t.Errorf("Dependents(lone) = %v, want none", got)
	}
}

func TestDependsValidation(t *testing.T) {
	a := &App{Name: "api", Script: "x", DependsOn: map[string]string{"api": "ready", "db": "healthy"}}
	err := a.Validate()
	for _, want := range []string{`depends_on.api names the app itself`, `depends_on.db "healthy": want started, ready, completed`} {
		if err == nil || !contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want %q in it", err, want)
		}
	}
	b := &App{Name: "b", Script: "x", Propagate: true}
	if err := b.Validate(); err == nil || !contains(err.Error(), "propagate is set without depends_on") {
		t.Errorf("Validate() = %v, want propagate without depends_on refused", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
