package supervisor

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/tend-pm/tend/internal/ipc"
	"github.com/tend-pm/tend/internal/listen"
)

// PM2's cluster mode for an unmodified Node server without listen:
// (spec.App.ListensOnDemand). tend's preload turns the app's
// listen(port) into a request on the IPC channel; the daemon binds the
// address once per app, at the first instance's request, and passes the
// same socket to each instance that asks, as Node passes handles
// (ipc.Conn.SendSocket). Every instance then accepts from one kernel
// queue, and a reload's new generation gets the socket the old one still
// serves: no connection is refused between them. The socket lives until
// the app is deleted.

// maxDemandSockets bounds the addresses one app may have bound this way,
// so that a child asking for port after port cannot take the daemon's
// descriptors.
const maxDemandSockets = 64

// demandSockets are the sockets bound at the apps' request.
type demandSockets struct {
	mu    sync.Mutex
	byApp map[string]map[string]*listen.Socket // app → address → socket
}

// get returns app's socket for addr, binding it the first time; bound
// says whether this call bound it.
func (d *demandSockets) get(app, addr string) (sock *listen.Socket, bound bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s := d.byApp[app][addr]; s != nil {
		return s, false, nil
	}
	if len(d.byApp[app]) >= maxDemandSockets {
		return nil, false, fmt.Errorf("listen %s: the app has %d addresses bound by tend already; declare the addresses with listen: instead", addr, maxDemandSockets)
	}
	s, err := listen.Bind(addr)
	if err != nil {
		return nil, false, err
	}
	if d.byApp == nil {
		d.byApp = map[string]map[string]*listen.Socket{}
	}
	if d.byApp[app] == nil {
		d.byApp[app] = map[string]*listen.Socket{}
	}
	d.byApp[app][addr] = s
	return s, true, nil
}

// release closes app's sockets (it was deleted); "" closes every app's.
func (d *demandSockets) release(app string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for name, socks := range d.byApp {
		if app != "" && name != app {
			continue
		}
		for _, s := range socks {
			s.Close()
		}
		delete(d.byApp, name)
	}
}

// listenRequest is the preload's {"type":"listen",…}.
type listenRequest struct {
	ID   json.RawMessage `json:"id"`
	Port int             `json:"port"`
	Host string          `json:"host"`
}

// serveListen answers one listen request of run r of in, on the run's
// channel: the socket, or why not (which the preload raises on the app's
// server as an 'error', as a failed listen would).
func (s *Supervisor) serveListen(in *instance, r *run, m ipc.Message) {
	var req listenRequest
	if err := json.Unmarshal(m.Raw, &req); err != nil || len(req.ID) == 0 {
		in.tell(appSignal{r: r, kind: sigBad, from: "ipc", text: "a listen request without an id: " + string(m.Raw)})
		return
	}
	fail := func(code, why string) {
		b, _ := json.Marshal(map[string]any{"cmd": "NODE_TEND_LISTEN", "id": req.ID, "error": why, "code": code})
		if err := r.conn.SendNodeInternal(b); err != nil {
			in.log.Warn("answer a listen request", "err", err)
		}
	}
	s.mu.Lock()
	a := s.apps[in.name]
	s.mu.Unlock()
	if a == nil {
		return
	}
	app := a.rec.App
	switch {
	case !app.ListensOnDemand():
		fail("EINVAL", "tend binds addresses on demand only in cluster mode (exec_mode: cluster, or instances > 1, without listen:)")
		return
	case req.Port < 0 || req.Port > 65535:
		fail("EINVAL", fmt.Sprintf("port %d: want 0 to 65535", req.Port))
		return
	}
	if c, _ := credential(app); c != nil && req.Port < 1024 && req.Port != 0 {
		// The daemon may bind it; the app's user may not: no escalation.
		fail("EACCES", fmt.Sprintf("port %d is privileged and the app runs as %s; declare it with listen: to have tend bind it", req.Port, app.User))
		return
	}
	host := req.Host
	switch host {
	case "::", "0.0.0.0", "::0":
		host = "" // every address, as Node's listen(port) binds
	}
	addr := "tcp://" + net.JoinHostPort(host, strconv.Itoa(req.Port))
	sock, bound, err := s.demand.get(app.Name, addr)
	if err != nil {
		fail("EADDRINUSE", err.Error())
		return
	}
	if bound {
		in.tell(appSignal{r: r, kind: sigNote, text: fmt.Sprintf("cluster mode: bound %s for the app's instances at its first listen(%d)", sock.Bound, req.Port)})
	}
	b, _ := json.Marshal(map[string]any{"cmd": "NODE_TEND_LISTEN", "id": req.ID, "address": sock.Bound})
	if err := r.conn.SendSocket(b, sock.File()); err != nil {
		in.log.Warn("pass a socket", "err", err)
	}
}
