package buildinfo

import "testing"

// A release binary ignores TEND_TEST_BUILD: only test code can let it in.
func TestTestBuildOnlyWhenAllowed(t *testing.T) {
	t.Setenv(testBuildEnv, "old-build")
	if got := Build(); got == "old-build" {
		t.Fatalf("Build() = %q before AllowTestBuild; the variable must be ignored", got)
	}
	AllowTestBuild()
	if got := Build(); got != "old-build" {
		t.Errorf("Build() = %q after AllowTestBuild; want old-build", got)
	}
}
