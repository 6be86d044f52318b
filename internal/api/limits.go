package api

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
)

// Limits bound what one client of the control socket may cost the daemon
// (DESIGN §12): a client that sends too much, too slowly, or nothing at
// all must not hold memory or a goroutine for ever. Zero fields take the
// defaults below.
type Limits struct {
	// MaxBody is the largest request body read; beyond it, 413.
	MaxBody int64
	// Header bounds the wait for a request's header; Body, for its body.
	Header, Body time.Duration
	// Idle closes a keep-alive connection with no request.
	Idle time.Duration
}

// DefaultLimits are the control socket's limits.
var DefaultLimits = Limits{MaxBody: apitype.MaxBody, Header: 10 * time.Second, Body: 30 * time.Second, Idle: 2 * time.Minute}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	return Limits{MaxBody: cmp.Or(l.MaxBody, d.MaxBody), Header: cmp.Or(l.Header, d.Header),
		Body: cmp.Or(l.Body, d.Body), Idle: cmp.Or(l.Idle, d.Idle)}
}

// readBody reads the whole request body, at most l.MaxBody bytes within
// l.Body, and puts it back as r.Body; then the read deadline is lifted, so
// a handler that takes long (a stop waiting for kill_timeout) or a stream
// is not cut. Reading it here, once, means no handler can read an unbounded body.
func readBody(w http.ResponseWriter, r *http.Request, l Limits) error {
	max, d := l.MaxBody, l.Body
	if r.ContentLength > max {
		w.Header().Set("Connection", "close")
		return tooLarge(max)
	}
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		// The rest of the body is not waited for: the deadline stays and
		// the connection is closed after the answer.
		w.Header().Set("Connection", "close")
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooLarge(max)
		}
		return badRequest("reading the request body: %v (a body must arrive within %s)", err, d)
	}
	rc.SetReadDeadline(time.Time{})
	r.Body = io.NopCloser(bytes.NewReader(b))
	return nil
}

func tooLarge(max int64) error {
	return &apiError{http.StatusRequestEntityTooLarge, apitype.CodeBadRequest,
		fmt.Sprintf("request body over %d bytes", max)}
}

// recovered turns a panic of a handler into a 500 with a message and an
// error in daemon.log with its stack, instead of a connection closed
// with no answer (net/http's own recovery logs where nobody looks).
func (s *Server) recovered(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.Log.Error("panic serving a request", "method", r.Method, "path", r.URL.Path,
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	s.writeError(w, &apiError{http.StatusInternalServerError, apitype.CodeInternal,
		fmt.Sprintf("internal error: %s %s: panic: %v (the stack is in daemon.log)", r.Method, r.URL.Path, v)})
}
