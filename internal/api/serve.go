package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
)

// tend serve: a TCP listener, off by default, for /metrics and the read
// routes of the API. The choice is stored, so a restarted daemon opens
// it again. It needs the bearer token in TEND_HOME/token (mode 0600) for
// everything but /metrics on a loopback address, and refuses a Host that
// is not its own (DNS rebinding).

const (
	settingServe = "serve"
	tokenName    = "token"
)

// tcpServer is the one listener tend serve opened.
type tcpServer struct {
	mu   sync.Mutex
	srv  *http.Server
	addr string // as bound
}

// postServe is POST /v1/serve.
func (s *Server) postServe(w http.ResponseWriter, r *http.Request) error {
	var req apitype.ServeRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return badRequest("serve: %v", err)
	}
	if req.Metrics == "" {
		s.closeTCP()
		if err := s.Store.PutSetting(settingServe, nil); err != nil {
			return fmt.Errorf("serve: store the choice: %w", err)
		}
		return writeJSON(w, apitype.Serving{})
	}
	out, err := s.openTCP(req.Metrics)
	if err != nil {
		return &apiError{http.StatusConflict, apitype.CodeConflict, err.Error()}
	}
	b, _ := json.Marshal(req)
	if err := s.Store.PutSetting(settingServe, b); err != nil {
		s.closeTCP()
		return fmt.Errorf("serve: store the choice: %w", err)
	}
	return writeJSON(w, out)
}

// getServe is GET /v1/serve: what is served.
func (s *Server) getServe(w http.ResponseWriter, r *http.Request) error {
	s.tcp.mu.Lock()
	addr := s.tcp.addr
	s.tcp.mu.Unlock()
	if addr == "" {
		return writeJSON(w, apitype.Serving{})
	}
	out, err := s.serving(addr)
	if err != nil {
		return err
	}
	return writeJSON(w, out)
}

// RestoreServe opens the listener a previous daemon was told to open.
func (s *Server) RestoreServe() {
	b, err := s.Store.Setting(settingServe)
	if err != nil || b == nil {
		return
	}
	var req apitype.ServeRequest
	if json.Unmarshal(b, &req) != nil || req.Metrics == "" {
		return
	}
	if out, err := s.openTCP(req.Metrics); err != nil {
		s.Log.Error("tend serve: the stored listener does not open; `tend serve --metrics ADDR` again, or --off", "err", err)
	} else {
		s.Log.Info("serving metrics", "url", out.Metrics)
	}
}

// openTCP replaces the listener by one on addr.
func (s *Server) openTCP(addr string) (apitype.Serving, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return apitype.Serving{}, fmt.Errorf("serve --metrics %q: want HOST:PORT, such as 127.0.0.1:9615", addr)
	}
	if host == "" {
		return apitype.Serving{}, fmt.Errorf("serve --metrics %q: name the address (127.0.0.1:9615 for this machine only, 0.0.0.0:9615 for every address)", addr)
	}
	token, err := s.token()
	if err != nil {
		return apitype.Serving{}, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return apitype.Serving{}, fmt.Errorf("serve: %w", err)
	}
	bound := ln.Addr().String()
	loopback := isLoopback(bound)
	web := newWebSessions()
	prom := s.promMetrics().handler()
	mux := http.NewServeMux()
	mux.Handle("/metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopback && !hasToken(r, token) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "this listener needs its token: Authorization: Bearer <token>", http.StatusUnauthorized)
			return
		}
		prom.ServeHTTP(w, r)
	}))
	mux.Handle("/v1/", s.TCPHandler(token, web))
	mux.Handle("/", s.webHandler(token, web))
	srv := &http.Server{
		Handler:           ownHost(bound, mux),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
	}
	s.closeTCP()
	s.tcp.mu.Lock()
	s.tcp.srv, s.tcp.addr = srv, bound
	s.tcp.mu.Unlock()
	go srv.Serve(ln)
	return s.serving(bound)
}

func (s *Server) serving(bound string) (apitype.Serving, error) {
	token, err := s.token()
	if err != nil {
		return apitype.Serving{}, err
	}
	return apitype.Serving{Address: bound, Metrics: "http://" + bound + "/metrics", API: "http://" + bound + "/v1/apps", Web: "http://" + bound + "/",
		Token: token, TokenFile: filepath.Join(s.Home, tokenName), Loopback: isLoopback(bound)}, nil
}

// closeTCP closes the listener, if any, and its connections.
func (s *Server) closeTCP() {
	s.tcp.mu.Lock()
	srv := s.tcp.srv
	s.tcp.srv, s.tcp.addr = nil, ""
	s.tcp.mu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
}

// CloseServe closes the listener at the daemon's shutdown (the choice
// stays stored).
func (s *Server) CloseServe() { s.closeTCP() }

// token reads TEND_HOME/token, making it (32 random bytes, mode 0600)
// the first time.
func (s *Server) token() (string, error) {
	path := filepath.Join(s.Home, tokenName)
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	t := randomHex(32)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		os.Remove(path) // too short to be ours: replace it
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if err != nil {
		return "", fmt.Errorf("serve: make the token: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(t + "\n"); err != nil {
		return "", fmt.Errorf("serve: write the token: %w", err)
	}
	return t, f.Sync()
}

func hasToken(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && tokenEqual(got, token)
}

func isLoopback(hostport string) bool {
	host, _, _ := net.SplitHostPort(hostport)
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ownHost refuses a request whose Host is not the listener's own address
// or a loopback name for its port: a page elsewhere that resolves its
// own name to 127.0.0.1 (DNS rebinding) is not let in.
func ownHost(bound string, h http.Handler) http.Handler {
	_, port, _ := net.SplitHostPort(bound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, p, err := net.SplitHostPort(r.Host)
		if err != nil {
			host, p = r.Host, "80"
		}
		ok := p == port && (r.Host == bound || host == "localhost" || isLoopback(net.JoinHostPort(host, p)) || net.ParseIP(host) != nil)
		if !ok {
			http.Error(w, "Host "+r.Host+" is not this listener's", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
