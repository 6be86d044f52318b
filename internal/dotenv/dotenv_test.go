package dotenv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type golden struct {
	Parsed   [][2]string `json:"parsed"`
	Expanded [][2]string `json:"expanded"`
}

func pairsOf(g [][2]string) []Pair {
	out := make([]Pair, len(g))
	for i, p := range g {
		out[i] = Pair{p[0], p[1]}
	}
	return out
}

func equal(a, b []Pair) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGolden compares Parse and Expand with what the npm packages dotenv
// and dotenv-expand returned for every case (testdata/gen.js).
func TestGolden(t *testing.T) {
	var env map[string]string
	b, err := os.ReadFile("testdata/processenv.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	cases, _ := filepath.Glob("testdata/cases/*.env")
	if len(cases) < 40 {
		t.Fatalf("%d cases; the corpus should have at least 40", len(cases))
	}
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".env")
		src, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		gb, err := os.ReadFile(filepath.Join("testdata/golden", name+".json"))
		if err != nil {
			t.Fatalf("%s: no golden file (run testdata/gen.js): %v", name, err)
		}
		var g golden
		if err := json.Unmarshal(gb, &g); err != nil {
			t.Fatal(err)
		}
		parsed := Parse(string(src))
		if want := pairsOf(g.Parsed); !equal(parsed, want) {
			t.Errorf("%s: Parse =\n%q\nwant (dotenv)\n%q", name, parsed, want)
			continue
		}
		if got, want := Expand(parsed, env), pairsOf(g.Expanded); !equal(got, want) {
			t.Errorf("%s: Expand =\n%q\nwant (dotenv-expand)\n%q", name, got, want)
		}
	}
}

// FuzzParseExpand: no panic and no endless expansion on any input; every
// key is a dotenv key; and a simple KEY='value' file reads back exactly.
func FuzzParseExpand(f *testing.F) {
	cases, _ := filepath.Glob("testdata/cases/*.env")
	for _, c := range cases {
		b, _ := os.ReadFile(c)
		f.Add(string(b), "v")
	}
	f.Fuzz(func(t *testing.T, src, value string) {
		pairs := Parse(src)
		for _, p := range pairs {
			if p.Key == "" || strings.Trim(p.Key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != "" {
				t.Errorf("Parse(%q) gave key %q", src, p.Key)
			}
		}
		Expand(pairs, map[string]string{"HOME": "/h"})
		if strings.ContainsAny(value, "'\r\n\u2028\u2029") || strings.TrimFunc(value, isJSSpace) != value {
			return
		}
		got := Parse("K='" + value + "'\n")
		if len(got) != 1 || got[0].Value != value {
			t.Errorf("Parse(K='%s') = %q", value, got)
		}
	})
}
