package spec

import (
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Diff names the keys in which a and b differ, as a file writes them:
// "kill_timeout", and for maps each key ("env.MODE", "env_production.X").
// It never names values, so a plan shows no secret. The captured caller
// environment and the source file are not part of an app's definition and
// are not compared.
func Diff(a, b *App) []string {
	x, y := a.Clone(), b.Clone()
	x.Canonicalize()
	y.Canonicalize()
	var out []string
	out = append(out, mapDiff("env", x.Env, y.Env)...)
	for _, p := range slices.Sorted(maps.Keys(union(x.Profiles, y.Profiles))) {
		out = append(out, mapDiff("env_"+p, x.Profiles[p], y.Profiles[p])...)
	}
	x.Env, y.Env, x.Profiles, y.Profiles = nil, nil, nil, nil
	x.CallerEnv, y.CallerEnv, x.Source, y.Source = nil, nil, "", ""
	vx, vy := reflect.ValueOf(x).Elem(), reflect.ValueOf(y).Elem()
	t := vx.Type()
	for i := range t.NumField() {
		if !reflect.DeepEqual(vx.Field(i).Interface(), vy.Field(i).Interface()) {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func union[V any](a, b map[string]V) map[string]V {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]V{}
	}
	maps.Copy(out, b)
	return out
}

func mapDiff(prefix string, a, b map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(union(a, b))) {
		va, oka := a[k]
		vb, okb := b[k]
		if oka != okb || va != vb {
			out = append(out, prefix+"."+k)
		}
	}
	return out
}
