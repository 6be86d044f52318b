package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every verb's --help prints its usage, a line of what it does, and each
// of its flags with a description; no verb is left out (it walks the tree,
// so a new verb is checked too).
func TestEveryVerbsHelpListsItsFlags(t *testing.T) {
	var walk func(path []string, c *cobra.Command)
	n := 0
	walk = func(path []string, c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			walk(append(path, sub.Name()), sub)
		}
		if len(path) == 0 {
			return
		}
		n++
		var out bytes.Buffer
		old := Stdout
		Stdout = &out
		root := newRoot(Hooks{})
		Stdout = old
		root.SetArgs(append(append([]string{}, path...), "--help"))
		if err := root.Execute(); err != nil {
			t.Errorf("tend %s --help: %v", strings.Join(path, " "), err)
			return
		}
		help := out.String()
		name := "tend " + strings.Join(path, " ")
		if !strings.Contains(help, "Usage:\n  "+name) {
			t.Errorf("%s --help has no usage line:\n%s", name, help)
		}
		if c.Short == "" || !strings.Contains(help, c.Short) && !strings.Contains(help, c.Long) {
			t.Errorf("%s --help does not say what it does", name)
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			if f.Usage == "" || !strings.Contains(help, "--"+f.Name) || !strings.Contains(help, firstWords(f.Usage)) {
				t.Errorf("%s --help lacks --%s and what it does (%q)", name, f.Name, f.Usage)
			}
		})
	}
	walk(nil, newRoot(Hooks{}))
	if n < 20 {
		t.Errorf("checked %d verbs; the tree has more", n)
	}
}

// firstWords is the start of a flag's description, as --help prints it
// (backquoted names are shown without their quotes).
func firstWords(s string) string {
	s = strings.ReplaceAll(s, "`", "")
	if len(s) > 20 {
		s = s[:20]
	}
	return s
}
