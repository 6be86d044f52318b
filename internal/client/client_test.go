package client

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tend-pm/tend/internal/spec"
)

// TestCallerEnvIsSentOnce: the caller's environment, the same in every
// app of a file, goes once per request; 1,000 apps each carrying a copy
// of a 2 KB environment were over the daemon's 1 MiB limit, and the start
// failed with a broken pipe.
func TestCallerEnvIsSentOnce(t *testing.T) {
	env := map[string]string{"PATH": "/usr/bin", "HOME": "/root"}
	var apps []*spec.App
	for i := range 3 {
		apps = append(apps, &spec.App{Name: fmt.Sprint("a", i), Script: "sleep", CallerEnv: env})
	}
	sent, got := hoistCallerEnv(apps)
	if len(got) != 2 {
		t.Fatalf("hoisted env %v; want the shared one", got)
	}
	for i, a := range sent {
		if a.CallerEnv != nil || a == apps[i] {
			t.Errorf("sent app %d keeps its copy (or is the caller's own)", i)
		}
		if apps[i].CallerEnv == nil {
			t.Errorf("the caller's app %d lost its environment", i)
		}
	}
	apps[2].CallerEnv = map[string]string{"PATH": "/bin"}
	if _, got := hoistCallerEnv(apps); got != nil {
		t.Errorf("apps with different environments: hoisted %v", got)
	}
}

// TestOverLimitIsRefusedBeforeSending: a request over the daemon's limit
// is an error that says so, not the transport's broken pipe.
func TestOverLimitIsRefusedBeforeSending(t *testing.T) {
	c := New(t.TempDir(), nil)
	big := &spec.App{Name: "big", Script: "sleep", Env: map[string]string{"X": strings.Repeat("x", 2<<20)}}
	_, err := c.Start([]*spec.App{big}, false)
	if err == nil || !strings.Contains(err.Error(), "the daemon takes at most 1 MiB") {
		t.Errorf("a 2 MiB start: %v", err)
	}
}
