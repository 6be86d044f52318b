// Package buildinfo says which build of tend this is, so a CLI can tell a
// daemon of another build apart.
package buildinfo

import (
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Version is set at link time (-ldflags "-X .../buildinfo.Version=v1.2.3").
var Version = "dev"

// testBuildEnv lets a test play a daemon of another build. It is read only
// by Build, when set, and only in a test binary: one whose test code called
// AllowTestBuild. A release binary never reads it.
const testBuildEnv = "TEND_TEST_BUILD"

var testBuildAllowed atomic.Bool

// AllowTestBuild lets TEND_TEST_BUILD name the build. Only tests call it.
func AllowTestBuild() { testBuildAllowed.Store(true) }

var build = sync.OnceValue(func() string {
	id := Version
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			id += "+" + rev + dirty
		}
	}
	return id
})

// Build identifies this build: the version and the VCS revision.
func Build() string {
	if b := os.Getenv(testBuildEnv); b != "" && testBuildAllowed.Load() {
		return b
	}
	return build()
}
