package testutil

import (
	"testing"
	"time"
)

// WaitFor polls cond every few milliseconds until it holds or d passes,
// then fails the test with what.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Home returns a fresh TEND_HOME for the test and sets the variable.
func Home(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TEND_HOME", dir)
	return dir
}
