package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tend-pm/tend/internal/execshim"
	"github.com/tend-pm/tend/internal/listen"
	"github.com/tend-pm/tend/internal/nodepreload"
	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/spec"
)

// decl is what app declares to the socket registry.
func decl(app *spec.App) listen.Decl {
	return listen.Decl{App: app.Name, Addrs: app.Listen, ReusePort: app.ListenMode == spec.ListenReusePort}
}

// bind binds the listen addresses of apps that are not bound yet; see
// listen.Registry.Bind.
func (s *Supervisor) bind(apps []*spec.App) error {
	decls := make([]listen.Decl, len(apps))
	for i, a := range apps {
		decls[i] = decl(a)
	}
	return s.socks.Bind(decls...)
}

// Listening returns the addresses app's sockets are bound to, in declared
// order: for a declared port 0, the port the kernel chose.
func (s *Supervisor) Listening(app *spec.App) []string {
	return s.socks.Listening(decl(app))
}

// withSockets turns a spawn of app into one through the exec shim with
// app's sockets as fds 3… and the LISTEN_* variables (DESIGN §6).
func (s *Supervisor) withSockets(app *spec.App, id int, ps proc.Spec) (proc.Spec, error) {
	socks, err := s.socks.For(decl(app), id)
	if err != nil {
		return ps, err
	}
	names := make([]string, len(socks))
	var ports []int
	for i, sock := range socks {
		ps.ExtraFiles = append(ps.ExtraFiles, sock.File())
		names[i] = sock.Name
		if sock.Port != 0 {
			ports = append(ports, sock.Port)
		}
	}
	if app.IsNode() && len(ports) > 0 && s.runDir != "" {
		// An unmodified Node app's listen(port) is served from the
		// passed socket by tend's preload.
		path, err := s.preload()
		if err != nil {
			return ps, err
		}
		ps.Env = setEnv(ps.Env, "NODE_OPTIONS", nodepreload.Options(getEnv(ps.Env, "NODE_OPTIONS"), path))
	}
	ps.Env = setEnv(ps.Env, "LISTEN_FDS", strconv.Itoa(len(socks)))
	ps.Env = setEnv(ps.Env, "LISTEN_FDNAMES", strings.Join(names, ":"))
	if len(ports) == 1 {
		ps.Env = setEnv(ps.Env, "PORT", strconv.Itoa(ports[0]))
	}
	target, err := proc.LookPath(ps.Argv[0], ps.Dir, ps.Env)
	if err != nil {
		return ps, err
	}
	self, err := os.Executable()
	if err != nil {
		return ps, fmt.Errorf("find tend for the exec shim: %w", err)
	}
	// argv[0] "tend" lets a multi-call binary (the test binary) know it
	// is playing tend.
	ps.Path = self
	ps.Argv = append([]string{"tend", execshim.Arg, target}, ps.Argv...)
	return ps, nil
}

// preload writes the Node preload into the run directory the first time
// an app needs it, not at every start.
func (s *Supervisor) preload() (string, error) {
	s.preloadOnce.Do(func() {
		s.preloadPath, s.preloadErr = nodepreload.Write(filepath.Join(s.runDir, "node"))
	})
	return s.preloadPath, s.preloadErr
}

// getEnv returns k's value in a KEY=VALUE list.
func getEnv(env []string, k string) string {
	for _, kv := range slices.Backward(env) {
		if v, ok := strings.CutPrefix(kv, k+"="); ok {
			return v
		}
	}
	return ""
}

// setEnv sets k in a KEY=VALUE list, replacing an earlier value.
func setEnv(env []string, k, v string) []string {
	out := slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, k+"=") })
	return append(out, k+"="+v)
}
