package config

import (
	"os"
	"strings"
	"testing"
)

// TestEveryKeyIsDocumented: docs/configuration.md has a row for every key
// the reader accepts.
func TestEveryKeyIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, k := range append(KnownKeys(), "env_<profile>") {
		if !strings.Contains(doc, "| `"+k+"` |") {
			t.Errorf("docs/configuration.md has no row for %q", k)
		}
	}
}
