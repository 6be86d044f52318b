package listen

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Registry holds the bound sockets of every app, kept across the apps'
// restarts and reloads, and who owns each. With SO_REUSEPORT, instance 0
// has the socket under the address and instance N its own socket under
// "address#N", so a reload's new generation of an instance takes over that
// instance's accept queue. Its methods are safe for concurrent use; its
// lock is its own, held across a bind but never across anything of the
// supervisor's.
type Registry struct {
	mu     sync.Mutex
	byKey  map[string]*Socket
	owner  map[string]string // key → app name
	closed bool
}

// Decl is what an app declares: its name, its addresses in order, and
// whether each instance gets a SO_REUSEPORT socket of its own.
type Decl struct {
	App       string
	Addrs     []string
	ReusePort bool
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byKey: map[string]*Socket{}, owner: map[string]string{}}
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

// instanceKey is the key of instance id's socket under base key k.
func instanceKey(k string, reusePort bool, id int) string {
	if !reusePort || id == 0 {
		return k
	}
	return k + "#" + strconv.Itoa(id)
}

// addrOf is the declared address of a key.
func addrOf(key string) string {
	addr, _, _ := strings.Cut(key, "#")
	addr, _, _ = strings.Cut(addr, "\x00")
	return addr
}

func bindIn(reusePort bool, addr string) (*Socket, error) {
	if reusePort {
		return BindReusePort(addr)
	}
	return Bind(addr)
}

// Bind binds the addresses of decls that are not bound yet. An address
// bound for another app is refused, however it is spelled. On any failure
// nothing new stays bound.
func (r *Registry) Bind(decls ...Decl) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("listen: registry closed")
	}
	var fresh []string
	var errs []error
	for _, d := range decls {
		for _, addr := range d.Addrs {
			key := addrKey(d.App, addr)
			if owner, ok := r.owner[key]; ok {
				if owner != d.App {
					errs = append(errs, fmt.Errorf("app %q: listen %s: already used by app %q", d.App, addr, owner))
					continue
				}
				if r.byKey[key].ReusePort == d.ReusePort {
					continue
				}
				// listen_mode changed: bind again in the new mode.
				r.closeBase(key)
			}
			if other := r.boundTo(addr); other != "" && other != d.App {
				// Declared differently (port 0, another spelling), but the
				// same socket.
				errs = append(errs, fmt.Errorf("app %q: listen %s: already used by app %q", d.App, addr, other))
				continue
			}
			sock, err := bindIn(d.ReusePort, addr)
			if err != nil {
				errs = append(errs, fmt.Errorf("app %q: %w", d.App, err))
				continue
			}
			r.byKey[key], r.owner[key] = sock, d.App
			fresh = append(fresh, key)
		}
	}
	if len(errs) > 0 {
		for _, key := range fresh {
			r.closeKey(key)
		}
		return errors.Join(errs...)
	}
	return nil
}

// boundTo is the app whose socket is bound to addr, or "".
func (r *Registry) boundTo(addr string) string {
	for key, sock := range r.byKey {
		if sock.Bound == addr {
			return r.owner[key]
		}
	}
	return ""
}

// Release closes the sockets of app that keep does not list.
func (r *Registry) Release(app string, keep []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for key, owner := range r.owner {
		if owner == app && !slices.Contains(keep, addrOf(key)) {
			r.closeKey(key)
		}
	}
}

// ReleaseInstances closes app's SO_REUSEPORT sockets of instances from id
// n up (scaled down).
func (r *Registry) ReleaseInstances(app string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for key, owner := range r.owner {
		_, idText, ok := strings.Cut(key, "#")
		if id, err := strconv.Atoi(idText); ok && err == nil && owner == app && id >= n {
			r.closeKey(key)
		}
	}
}

// Listening returns the addresses d's sockets are bound to, in declared
// order: for a declared port 0, the port the kernel chose.
func (r *Registry) Listening(d Decl) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, addr := range d.Addrs {
		k := addrKey(d.App, addr)
		if sock := r.byKey[k]; sock != nil && r.owner[k] == d.App {
			out = append(out, sock.Bound)
		}
	}
	return out
}

// For returns instance id's sockets of d in declared order, binding an
// instance's own SO_REUSEPORT socket on first use.
func (r *Registry) For(d Decl, id int) ([]*Socket, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Socket, 0, len(d.Addrs))
	for _, addr := range d.Addrs {
		base := addrKey(d.App, addr)
		if r.owner[base] != d.App {
			return nil, fmt.Errorf("listen %s: not bound", addr)
		}
		key := instanceKey(base, d.ReusePort, id)
		sock, ok := r.byKey[key]
		if !ok {
			// Every instance's socket takes the port the first got: for
			// a declared port 0, the one the kernel chose.
			bindAddr := addr
			if first := r.byKey[base]; first != nil && first.Port != 0 {
				bindAddr = WithPort(addr, first.Port)
			}
			var err error
			if sock, err = BindReusePort(bindAddr); err != nil {
				return nil, err
			}
			r.byKey[key], r.owner[key] = sock, d.App
		}
		out = append(out, sock)
	}
	return out, nil
}

// Close closes every socket; a later Bind is refused.
func (r *Registry) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for key := range r.byKey {
		r.closeKey(key)
	}
	r.closed = true
}

// closeBase closes every socket of base key k (all instances').
func (r *Registry) closeBase(k string) {
	for key := range r.byKey {
		if key == k || strings.HasPrefix(key, k+"#") {
			r.closeKey(key)
		}
	}
}

func (r *Registry) closeKey(key string) {
	if sock, ok := r.byKey[key]; ok {
		sock.Close()
	}
	delete(r.byKey, key)
	delete(r.owner, key)
}
