package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
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
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// routes is the one route table.
func (s *Server) routes() map[string]handlerFunc {
	return map[string]handlerFunc{
		"GET /v1/version":                 s.getVersion,
		"GET /v1/apps":                    s.listApps,
		"POST /v1/apps":                   s.startApps,
		"GET /v1/apps/{name}":             s.getApp,
		"DELETE /v1/apps/{target}":        s.deleteApp,
		"POST /v1/apps/{target}/{action}": s.actApp,
		"GET /v1/specs":                   s.getSpecs,
		"POST /v1/apply":                  s.apply,
		"GET /v1/logs":                    s.getLogs,
		"DELETE /v1/logs":                 s.flushLogs,
		"POST /v1/logs/reopen":            s.reopenLogs,
		"GET /v1/events":                  s.getEvents,
		"POST /v1/daemon/stop":            s.stopDaemon,
	}
}

// Handler returns the API with access control.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range s.routes() {
		mux.Handle(pattern, s.wrap(h))
	}
	mux.Handle("/", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return &apiError{http.StatusNotFound, apitype.CodeNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)}
	}))
	return mux
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

// wrap checks the peer, sets headers, and renders a returned error.
func (s *Server) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(apitype.HeaderBuild, buildinfo.Build())
		if err := checkPeer(r.Context()); err != nil {
			s.writeError(w, &apiError{http.StatusForbidden, apitype.CodeForbidden, err.Error()})
			return
		}
		defer s.recovered(w, r)
		if err := readBody(w, r, s.Limits.orDefault()); err != nil {
			s.writeError(w, err)
			return
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
