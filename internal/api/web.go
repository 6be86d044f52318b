package api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/webui"
)

// The web dashboard, on tend serve's listener: a login with the token
// sets a session cookie (HttpOnly, SameSite=Strict); the pages and the
// API then take the session, and every change it asks for must carry the
// session's CSRF token and come from the listener's own Origin. Every
// page has a strict Content-Security-Policy (scripts and styles from the
// listener's own files only); the Host check against DNS rebinding is
// the listener's (ownHost).

const (
	sessionCookie = "tend_session"
	sessionLife   = 12 * time.Hour
	maxSessions   = 64 // logins beyond it push the oldest out
)

// csp lets the pages load only their own scripts, styles and data.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

type webSession struct {
	csrf    string
	expires time.Time
}

// webSessions are the dashboard's logins, in memory: a restarted daemon
// asks for the token again.
type webSessions struct {
	mu   sync.Mutex
	byID map[string]*webSession
}

func newWebSessions() *webSessions { return &webSessions{byID: map[string]*webSession{}} }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// login makes a session and returns its id.
func (w *webSessions) login(now time.Time) (string, *webSession) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, s := range w.byID {
		if now.After(s.expires) {
			delete(w.byID, id)
		}
	}
	if len(w.byID) >= maxSessions {
		var oldest string
		for id, s := range w.byID {
			if oldest == "" || s.expires.Before(w.byID[oldest].expires) {
				oldest = id
			}
		}
		delete(w.byID, oldest)
	}
	id, s := randomHex(32), &webSession{csrf: randomHex(32), expires: now.Add(sessionLife)}
	w.byID[id] = s
	return id, s
}

// of is the request's session, if it has a live one.
func (w *webSessions) of(r *http.Request) (*webSession, bool) {
	if w == nil {
		return nil, false
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.byID[c.Value]
	if !ok || time.Now().After(s.expires) {
		return nil, false
	}
	return s, true
}

func (w *webSessions) logout(r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		w.mu.Lock()
		delete(w.byID, c.Value)
		w.mu.Unlock()
	}
}

// sameSite checks a change a session asks for: the request's own Origin,
// that of the Host it was sent to (which ownHost checked is this
// listener), so a page elsewhere cannot drive the daemon through the
// cookie even were SameSite ignored; and the session's CSRF token, in the
// header the dashboard's script sends or the form field its forms post.
func (s *webSession) sameSite(r *http.Request) error {
	if got, origin := r.Header.Get("Origin"), "http://"+r.Host; got != origin {
		return &apiError{http.StatusForbidden, apitype.CodeForbidden,
			fmt.Sprintf("a change from Origin %q: only %s may ask for one", got, origin)}
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	if !tokenEqual(got, s.csrf) {
		return &apiError{http.StatusForbidden, apitype.CodeForbidden, "a change without the session's CSRF token"}
	}
	return nil
}

// webHandler serves the dashboard's pages, its files, the login and the
// live list (SSE).
func (s *Server) webHandler(token string, web *webSessions) http.Handler {
	static, _ := fs.Sub(webui.Files, "static")
	files := http.FileServerFS(static)
	page := func(name string) string {
		b, _ := fs.ReadFile(webui.Files, name)
		return string(b)
	}
	index, login := page("index.html"), page("login.html")
	headers := func(w http.ResponseWriter) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin") // no-referrer would make a form post's Origin "null"
	}
	showLogin := func(w http.ResponseWriter, status int, why string) {
		headers(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		fmt.Fprint(w, strings.ReplaceAll(login, "{{error}}", html.EscapeString(why)))
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers(w)
		files.ServeHTTP(w, r)
	})))
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) { showLogin(w, http.StatusOK, "") })
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
			showLogin(w, http.StatusForbidden, "a login from another site ("+o+") is refused")
			return
		}
		if !tokenEqual(strings.TrimSpace(r.PostFormValue("token")), token) {
			s.Log.Warn("web dashboard: a login with a wrong token", "remote", r.RemoteAddr)
			showLogin(w, http.StatusUnauthorized, "That is not the token.")
			return
		}
		id, _ := web.login(time.Now())
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, MaxAge: int(sessionLife.Seconds())})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if sess, ok := web.of(r); ok {
			if err := sess.sameSite(r); err != nil {
				http.Error(w, err.Error(), http.StatusForbidden)
				return
			}
			web.logout(r)
		}
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		sess, ok := web.of(r)
		if !ok {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		headers(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, strings.ReplaceAll(index, "{{csrf}}", html.EscapeString(sess.csrf)))
	})
	mux.HandleFunc("GET /ui/stream", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := web.of(r); !ok {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		s.streamList(w, r)
	})
	return mux
}

// streamList is the dashboard's live list (Server-Sent Events): every
// instance each second ("list"), and each of the daemon's events as it
// happens ("event"), which is also a reason to send the list at once.
func (s *Server) streamList(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	events, stop := s.Sup.FollowEvents()
	defer stop()
	send := func(kind string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", kind, b); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	list := func() bool { return send("list", s.instances()) }
	t := time.NewTicker(time.Second)
	defer t.Stop()
	if !list() {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.Stopping:
			return
		case e, ok := <-events:
			if !ok || !send("event", e) || !list() {
				return
			}
		case <-t.C:
			if !list() {
				return
			}
		}
	}
}
