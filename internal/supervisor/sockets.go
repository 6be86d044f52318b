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
func (s *Supervisor) withSockets(app *spec.App, id int, ps proc.Spec, probes []*prober) (proc.Spec, []*listen.Socket, error) {
	socks, err := s.socks.For(decl(app), id)
	if err != nil {
		return ps, nil, err
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
			return ps, nil, err
		}
		ps.Env = setEnv(ps.Env, "NODE_OPTIONS", nodepreload.Options(getEnv(ps.Env, "NODE_OPTIONS"), path))
	}
	if len(ports) == 1 {
		ps.Env = setEnv(ps.Env, "PORT", strconv.Itoa(ports[0]))
	}
	private, err := probeSockets(probes, ports, ps.Env)
	if err != nil {
		return ps, nil, err
	}
	for _, sock := range private {
		ps.ExtraFiles = append(ps.ExtraFiles, sock.File())
		names = append(names, sock.Name)
	}
	ps.Env = setEnv(ps.Env, "LISTEN_FDS", strconv.Itoa(len(names)))
	ps.Env = setEnv(ps.Env, "LISTEN_FDNAMES", strings.Join(names, ":"))
	if ps, err = viaShim(ps); err != nil {
		for _, sock := range private {
			sock.Close()
		}
		return ps, nil, err
	}
	return ps, private, nil
}

// viaShim turns a spawn into one through tend's exec shim (DESIGN §6),
// unless it already is.
func viaShim(ps proc.Spec) (proc.Spec, error) {
	if len(ps.Argv) > 1 && ps.Argv[1] == execshim.Arg {
		return ps, nil
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

// probeSockets gives each http or tcp probe aimed at one of the app's
// shared ports a socket of this run's own, and aims the probe at it. On
// the shared socket a probe would reach whichever instance accepted
// first: during a reload, the old one, which is ready, instead of the
// new one it asks about. The private socket (127.0.0.1, a port from the
// kernel) is passed after the shared ones, named probe-PORT; a server
// that serves every socket it is passed (systemd's rule; tend's Node
// preload does it for listen(PORT)) answers on it. One per shared port.
func probeSockets(probes []*prober, ports []int, env []string) ([]*listen.Socket, error) {
	var out []*listen.Socket
	byPort := map[int]*listen.Socket{}
	for _, p := range probes {
		p.expand(env) // ${PORT} is known now
		port := p.targetPort()
		if port == 0 || !slices.Contains(ports, port) {
			continue
		}
		sock := byPort[port]
		if sock == nil {
			var err error
			if sock, err = listen.Bind("tcp://127.0.0.1:0"); err != nil {
				for _, s := range out {
					s.Close()
				}
				return nil, fmt.Errorf("probe socket: %w", err)
			}
			sock.Name = "probe-" + strconv.Itoa(port)
			byPort[port] = sock
			out = append(out, sock)
		}
		p.aimAt(sock.Port)
	}
	return out, nil
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
