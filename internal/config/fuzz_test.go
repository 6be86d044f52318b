package config

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzParse: no panic on any text; what reads without error writes back
// (Marshal) to a file that reads to the same apps.
func FuzzParse(f *testing.F) {
	f.Add(ecoYAML)
	f.Add("- name: a\n  script: b\n  args: 'x \"y z\"'\n")
	f.Add(`{"apps":[{"name":"a","cmd":["x","y"],"env":{"A":1,"B":true,"C":null}}]}`)
	f.Add("apps:\n  - name: a\n    script: x\n    instances: max\n    min_uptime: 0\n")
	f.Fuzz(func(t *testing.T, src string) {
		res, err := Parse("f.yaml", []byte(src))
		if err != nil {
			return
		}
		b, err := Marshal(res.Apps)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		back, err := Parse("back.yaml", b)
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(%q))) = %v\n%s", src, err, b)
		}
		if !reflect.DeepEqual(res.Apps, back.Apps) {
			t.Errorf("round trip of %q changed the apps:\n%+v\n%+v\n%s", src, *res.Apps[0], *back.Apps[0], b)
		}
	})
}

// FuzzProcfile: no panic; apps written back as `name: command` lines read
// to the same apps.
func FuzzProcfile(f *testing.F) {
	f.Add("web: bundle exec puma\nworker: ./w --q 1\n")
	f.Add("# c\n\na: b\n")
	f.Fuzz(func(t *testing.T, src string) {
		res, err := ParseProcfile("Procfile", []byte(src), DefaultProcfilePort)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, a := range res.Apps {
			b.WriteString(a.Name + ": " + a.Script + "\n")
		}
		back, err := ParseProcfile("Procfile", []byte(b.String()), DefaultProcfilePort)
		if err != nil || !reflect.DeepEqual(res.Apps, back.Apps) {
			t.Errorf("round trip of %q: %v", src, err)
		}
	})
}
