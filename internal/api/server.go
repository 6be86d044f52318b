package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/buildinfo"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/store"
	"github.com/tend-pm/tend/internal/supervisor"
)

// Server is the API over a supervisor.
type Server struct {
	Sup     *supervisor.Supervisor
	Store   *store.Store
	Home    string
	Log     *slog.Logger
	Started time.Time
	// StopDaemon is called by POST /v1/daemon/stop, after the reply.
	StopDaemon func()
	// Stopping is closed when the daemon begins to shut down; streams end.
	Stopping <-chan struct{}
	// Limits of one client; zero fields take DefaultLimits.
	Limits Limits

	tcp      tcpServer // what tend serve opened
	promOnce sync.Once
	prom     *promRegistry
}

// promMetrics is the daemon's Prometheus registry, made on first use.
func (s *Server) promMetrics() *promRegistry {
	s.promOnce.Do(func() { s.prom = newPromRegistry(s.Sup) })
	return s.prom
}

func tokenEqual(got, token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// access says who may call a route. On the local socket the owner (the
// daemon's user or root, by peer credentials) may call every route; a
// TCP listener (the metrics and the web dashboard, to come) serves the
// read routes to a client with the token, and nothing else.
type access int

const (
	ownerOnly access = iota // changes what is stored, or shows secrets: the local socket only
	readOnly                // reads; secrets always masked off the local socket
	// operate starts, stops, restarts and reloads what is there: on the
	// TCP listener too, with the token, or from the dashboard's session
	// with its CSRF token and the listener's own Origin.
	operate
)

type route struct {
	pattern string
	access  access
	h       handlerFunc
}

// routes is the one route table: one route per action.
func (s *Server) routes() []route {
	return []route{
		{"GET /v1/version", readOnly, s.getVersion},
		{"GET /v1/apps", readOnly, s.listApps},
		{"POST /v1/apps", ownerOnly, s.startApps},
		{"GET /v1/apps/{name}", readOnly, s.getApp},

		{"DELETE /v1/apps/{target}", ownerOnly, s.deleteApp},
		{"POST /v1/apps/{target}/start", operate, s.act("start", s.startApp)},
		{"POST /v1/apps/{target}/stop", operate, s.act("stop", s.stopApp)},
		{"POST /v1/apps/{target}/restart", operate, s.act("restart", s.restartApp)},
		{"POST /v1/apps/{target}/reload", operate, s.act("reload", s.reloadApp)},
		{"POST /v1/apps/{target}/scale", ownerOnly, s.act("scale", s.scaleApp)},
		{"POST /v1/apps/{target}/send", ownerOnly, s.act("send", s.sendApp)},
		{"POST /v1/apps/{target}/signal", ownerOnly, s.act("signal", s.signalApp)},
		{"POST /v1/apps/{target}/run", ownerOnly, s.act("run-now", s.runNow)},
		{"POST /v1/apps/{target}/{action}", ownerOnly, noAction},
		{"GET /v1/specs", ownerOnly, s.getSpecs},
		{"POST /v1/apply", ownerOnly, s.apply},
		{"GET /v1/logs", readOnly, s.getLogs},
		{"DELETE /v1/logs", ownerOnly, s.flushLogs},
		{"POST /v1/logs/reopen", ownerOnly, s.reopenLogs},
		{"GET /v1/events", readOnly, s.getEvents},
		{"GET /v1/history", readOnly, s.getHistory},
		{"GET /v1/pools/{name}", readOnly, s.getPool},
		{"POST /v1/pools/{name}/tasks", ownerOnly, s.postTask},
		{streamRoute, ownerOnly, s.streamTasks},
		{"GET /v1/pools/{name}/tasks", ownerOnly, s.getTasks},
		{"GET /v1/pools/{name}/tasks/{id}", ownerOnly, s.getTask},
		{"POST /v1/daemon/stop", ownerOnly, s.stopDaemon},
		{"GET /v1/serve", ownerOnly, s.getServe},
		{"POST /v1/serve", ownerOnly, s.postServe},
	}
}

func noAction(w http.ResponseWriter, r *http.Request) error {
	return &apiError{http.StatusNotFound, apitype.CodeNotFound,
		fmt.Sprintf("no action %q; want one of start, stop, restart, reload, scale, signal, send", strings.ToLower(r.PathValue("action")))}
}

// Handler returns the API for the local socket: every route, to the
// owner.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.wrap(rt.h, checkPeerOf))
	}
	mux.Handle("/", s.wrap(notFound, checkPeerOf))
	return mux
}

// TCPHandler returns the API for a TCP listener, by the route table's
// access column: the read routes, and the operate routes (start, stop,
// restart, reload), to a client that sends token as "Authorization:
// Bearer" or holds a dashboard session (an operate route then also needs
// the session's CSRF token and the listener's own Origin); secrets masked
// whatever the query says. Without either, 401. The owner's routes answer
// 403 there, so a client learns they exist but not here.
func (s *Server) TCPHandler(token string, web *webSessions) http.Handler {
	check := func(access access) func(r *http.Request) error {
		return func(r *http.Request) error {
			if hasToken(r, token) {
				return nil
			}
			sess, ok := web.of(r)
			if !ok {
				return &apiError{http.StatusUnauthorized, apitype.CodeUnauthorized,
					"this listener needs its token: Authorization: Bearer <token> (tend serve prints it), or a dashboard login"}
			}
			if access == operate {
				if err := sess.sameSite(r); err != nil {
					return err
				}
			}
			return nil
		}
	}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		h := rt.h
		if rt.access == ownerOnly {
			h = func(w http.ResponseWriter, r *http.Request) error {
				return &apiError{http.StatusForbidden, apitype.CodeForbidden,
					fmt.Sprintf("%s is served on the local socket only", r.Pattern)}
			}
		}
		mux.Handle(rt.pattern, s.wrap(func(w http.ResponseWriter, r *http.Request) error {
			q := r.URL.Query()
			q.Del("secrets")
			r.URL.RawQuery = q.Encode()
			return h(w, r)
		}, check(rt.access)))
	}
	mux.Handle("/v1/", s.wrap(notFound, check(readOnly)))
	return mux
}

func notFound(w http.ResponseWriter, r *http.Request) error {
	return &apiError{http.StatusNotFound, apitype.CodeNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)}
}

// Serve serves the API on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ConnContext:       withPeer,
		ReadHeaderTimeout: s.Limits.orDefault().Header,
		IdleTimeout:       s.Limits.orDefault().Idle,
		// net/http reports broken connections and TLS-less probes here;
		// at warn, so a bad client is seen in daemon.log.
		ErrorLog: slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// apiError is an error with its HTTP status and code.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, apitype.CodeBadRequest, fmt.Sprintf(format, args...)}
}

// checkPeerOf checks the local socket's peer credentials.
func checkPeerOf(r *http.Request) error { return checkPeer(r.Context()) }

// wrap checks the caller, sets headers, and renders a returned error.
func (s *Server) wrap(h handlerFunc, allowed func(*http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(apitype.HeaderBuild, buildinfo.Build())
		if err := allowed(r); err != nil {
			if _, ok := errors.AsType[*apiError](err); !ok {
				err = &apiError{http.StatusForbidden, apitype.CodeForbidden, err.Error()}
			}
			s.writeError(w, err)
			return
		}
		defer s.recovered(w, r)
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		w = sw
		begin := time.Now()
		defer func() { s.promMetrics().observe(r.Pattern, sw.code, time.Since(begin)) }()
		if r.Pattern != streamRoute {
			if err := readBody(w, r, s.Limits.orDefault()); err != nil {
				s.writeError(w, err)
				return
			}
		}
		if err := h(w, r); err != nil {
			s.writeError(w, err)
		}
	})
}

// writeError is the one place errors become responses.
func (s *Server) writeError(w http.ResponseWriter, err error) {
	ae, ok := errors.AsType[*apiError](err)
	switch {
	case ok:
	case errors.Is(err, supervisor.ErrUnknownApp):
		ae = &apiError{http.StatusNotFound, apitype.CodeUnknownApp, err.Error()}
	case errors.Is(err, supervisor.ErrNameTaken):
		ae = &apiError{http.StatusConflict, apitype.CodeNameTaken, err.Error()}
	case errors.Is(err, supervisor.ErrRefused):
		ae = &apiError{http.StatusConflict, apitype.CodeConflict, err.Error()}
	case errors.Is(err, supervisor.ErrInvalid):
		ae = &apiError{http.StatusUnprocessableEntity, apitype.CodeInvalid, err.Error()}
	default:
		if _, ok := errors.AsType[*supervisor.TransitionError](err); ok {
			ae = &apiError{http.StatusConflict, apitype.CodeConflict, err.Error()}
		} else {
			ae = &apiError{http.StatusInternalServerError, apitype.CodeInternal, err.Error()}
		}
	}
	if ae.status >= 500 {
		s.Log.Error("request failed", "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ae.status)
	json.NewEncoder(w).Encode(apitype.ErrorBody{Error: apitype.Error{Code: ae.code, Message: ae.msg}})
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	v := apitype.Version{
		Version: buildinfo.Version, Build: buildinfo.Build(), Pid: os.Getpid(),
		Home: s.Home, Started: s.Started, Apps: len(s.Sup.List()),
	}
	v.RSS = selfRSS()
	v.Goroutines = runtime.NumGoroutine()
	v.FDs, v.Zombies = selfFDs(), zombieChildren()
	return writeJSON(w, v)
}

func (s *Server) stopDaemon(w http.ResponseWriter, r *http.Request) error {
	if err := writeJSON(w, map[string]int{"pid": os.Getpid()}); err != nil {
		return err
	}
	s.StopDaemon()
	return nil
}

func (s *Server) getSpecs(w http.ResponseWriter, r *http.Request) error {
	show := r.URL.Query().Get("secrets") == "1"
	var out []*spec.App
	for _, a := range s.Sup.List() {
		app := a.Record.App.Clone()
		if !show {
			app = app.Masked()
		}
		app.CallerEnv = nil
		out = append(out, app)
	}
	if out == nil {
		out = []*spec.App{}
	}
	return writeJSON(w, out)
}

// statusWriter remembers the status a handler wrote, for the request
// timer; Flush and Unwrap keep streams streaming.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
