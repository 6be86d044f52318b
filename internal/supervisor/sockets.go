package supervisor

import (
	"errors"
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

// sockets are the bound listen addresses of every app, kept across the
// apps' restarts and reloads; guarded by smu. With listen_mode reuseport,
// instance 0 has the socket under the address and instance N under
// "address#N", each its own SO_REUSEPORT socket, so a reload's new
// generation of an instance takes over that instance's accept queue.
type sockets struct {
	byAddr map[string]*listen.Socket
	owner  map[string]string // key → app name
}

// sockKey is the key of instance id's socket for addr.
func sockKey(app *spec.App, addr string, id int) string {
	if app.ListenMode != spec.ListenReusePort || id == 0 {
		return addr
	}
	return addr + "#" + strconv.Itoa(id)
}

// addrKey is the key of app's socket for addr. A port-0 address means
// "any free port", so two apps that both declare it are not one socket:
// its key names the app.
func addrKey(app, addr string) string {
	if strings.HasPrefix(addr, "tcp") && strings.HasSuffix(addr, ":0") {
		return addr + "\x00" + app
	}
	return addr
}

// addrOf is the address of a key.
func addrOf(key string) string {
	addr, _, _ := strings.Cut(key, "#")
	addr, _, _ = strings.Cut(addr, "\x00")
	return addr
}

func bindFor(app *spec.App, addr string) (*listen.Socket, error) {
	if app.ListenMode == spec.ListenReusePort {
		return listen.BindReusePort(addr)
	}
	return listen.Bind(addr)
}

// bind binds the listen addresses of apps that are not bound yet. An
// address bound for another app is refused. On any failure nothing new
// stays bound.
func (s *Supervisor) bind(apps []*spec.App) error {
	s.smu.Lock()
	defer s.smu.Unlock()
	var fresh []string
	var errs []error
	for _, a := range apps {
		for _, addr := range a.Listen {
			key := addrKey(a.Name, addr)
			if owner, ok := s.socks.owner[key]; ok {
				if owner != a.Name {
					errs = append(errs, fmt.Errorf("app %q: listen %s: already used by app %q", a.Name, addr, owner))
					continue
				}
				if s.socks.byAddr[key].ReusePort == (a.ListenMode == spec.ListenReusePort) {
					continue
				}
				// listen_mode changed: bind again in the new mode.
				s.closeAddr(key)
			}
			if other := s.boundTo(addr); other != "" && other != a.Name {
				// Declared differently (port 0, another spelling), but the
				// same socket.
				errs = append(errs, fmt.Errorf("app %q: listen %s: already used by app %q", a.Name, addr, other))
				continue
			}
			sock, err := bindFor(a, addr)
			if err != nil {
				errs = append(errs, fmt.Errorf("app %q: %w", a.Name, err))
				continue
			}
			s.socks.byAddr[key], s.socks.owner[key] = sock, a.Name
			fresh = append(fresh, key)
		}
	}
	if len(errs) > 0 {
		for _, addr := range fresh {
			s.closeSocket(addr)
		}
		return errors.Join(errs...)
	}
	return nil
}

// boundTo is the app whose socket is bound to addr, or "".
func (s *Supervisor) boundTo(addr string) string {
	for key, sock := range s.socks.byAddr {
		if sock.Bound == addr {
			return s.socks.owner[key]
		}
	}
	return ""
}

// release closes the sockets of app name that keep does not list.
func (s *Supervisor) release(name string, keep []string) {
	s.smu.Lock()
	defer s.smu.Unlock()
	for key, owner := range s.socks.owner {
		if owner == name && !slices.Contains(keep, addrOf(key)) {
			s.closeSocket(key)
		}
	}
}

// closeAddr closes every socket of base key k (all instances').
func (s *Supervisor) closeAddr(k string) {
	for key := range s.socks.byAddr {
		if key == k || strings.HasPrefix(key, k+"#") {
			s.closeSocket(key)
		}
	}
}

// releaseInstances closes the reuseport sockets of instances from id n
// up (scaled down).
func (s *Supervisor) releaseInstances(app *spec.App, n int) {
	s.smu.Lock()
	defer s.smu.Unlock()
	for key, owner := range s.socks.owner {
		_, idText, ok := strings.Cut(key, "#")
		if id, err := strconv.Atoi(idText); ok && err == nil && owner == app.Name && id >= n {
			s.closeSocket(key)
		}
	}
}

func (s *Supervisor) closeSocket(addr string) {
	if sock, ok := s.socks.byAddr[addr]; ok {
		sock.Close()
	}
	delete(s.socks.byAddr, addr)
	delete(s.socks.owner, addr)
}

func (s *Supervisor) closeSockets() {
	s.smu.Lock()
	defer s.smu.Unlock()
	for addr := range s.socks.byAddr {
		s.closeSocket(addr)
	}
}

// Listening returns the addresses app's sockets are bound to, in declared
// order: for a declared port 0, the port the kernel chose.
func (s *Supervisor) Listening(app *spec.App) []string {
	s.smu.Lock()
	defer s.smu.Unlock()
	var out []string
	for _, addr := range app.Listen {
		k := addrKey(app.Name, addr)
		if sock := s.socks.byAddr[k]; sock != nil && s.socks.owner[k] == app.Name {
			out = append(out, sock.Bound)
		}
	}
	return out
}

// socketsOf returns instance id's sockets of app in declared order,
// binding an instance's own SO_REUSEPORT socket on first use.
func (s *Supervisor) socketsOf(app *spec.App, id int) ([]*listen.Socket, error) {
	s.smu.Lock()
	defer s.smu.Unlock()
	out := make([]*listen.Socket, 0, len(app.Listen))
	for _, addr := range app.Listen {
		base := addrKey(app.Name, addr)
		if s.socks.owner[base] != app.Name {
			return nil, fmt.Errorf("listen %s: not bound", addr)
		}
		key := sockKey(app, base, id)
		sock, ok := s.socks.byAddr[key]
		if !ok {
			// Every instance's socket takes the port the first got: for
			// a declared port 0, the one the kernel chose.
			bindAddr := addr
			if first := s.socks.byAddr[base]; first != nil && first.Port != 0 {
				bindAddr = listen.WithPort(addr, first.Port)
			}
			var err error
			if sock, err = listen.BindReusePort(bindAddr); err != nil {
				return nil, err
			}
			s.socks.byAddr[key], s.socks.owner[key] = sock, app.Name
		}
		out = append(out, sock)
	}
	return out, nil
}

// withSockets turns a spawn of app into one through the exec shim with
// app's sockets as fds 3… and the LISTEN_* variables (DESIGN §6).
func (s *Supervisor) withSockets(app *spec.App, id int, ps proc.Spec) (proc.Spec, error) {
	socks, err := s.socketsOf(app, id)
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
