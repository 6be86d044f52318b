package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/supervisor"
)

// TestTCPHandler: the handler a TCP listener serves is made from the
// same route table: the read and operate routes, to a client with the
// token (401 without), secrets masked even when asked for; the owner's
// routes refused there.
func TestTCPHandler(t *testing.T) {
	sup, st, dir := newSupervisor(t)
	app := &spec.App{Name: "db", Script: "sleep", Args: []string{"600"}, Env: map[string]string{"DATABASE_URL": "postgres://u:hunter2@db/x"}}
	if err := sup.Add([]*spec.App{app}, false); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&Server{Sup: sup, Store: st, Home: dir, Log: slog.New(slog.DiscardHandler)}).TCPHandler("s3cret", newWebSessions()))
	defer srv.Close()
	call := func(method, path, token string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		method, path, token string
		status              int
		has, lacks          string
	}{
		{"GET", "/v1/apps", "s3cret", 200, `"name":"db"`, ""},
		{"GET", "/v1/apps", "", 401, "needs its token", "db"},
		{"GET", "/v1/apps", "wrong", 401, "needs its token", "db"},
		{"GET", "/v1/nothing-here", "", 401, "needs its token", ""},
		{"GET", "/v1/apps/db?secrets=1", "s3cret", 200, "postgres://u:*****@db/x", "hunter2"},
		{"POST", "/v1/apps/db/restart", "", 401, "needs its token", ""},
		{"POST", "/v1/apps/db/restart", "s3cret", 200, `"instances"`, ""},
		{"POST", "/v1/apps/db/scale", "s3cret", 403, "local socket only", ""},
		{"DELETE", "/v1/apps/db", "s3cret", 403, "local socket only", ""},
		{"GET", "/v1/specs?secrets=1", "s3cret", 403, "local socket only", "hunter2"},
		{"POST", "/v1/daemon/stop", "s3cret", 403, "local socket only", ""},
	} {
		status, body := call(c.method, c.path, c.token)
		if status != c.status || !strings.Contains(body, c.has) || (c.lacks != "" && strings.Contains(body, c.lacks)) {
			t.Errorf("%s %s (token %q) = %d %s; want %d with %q", c.method, c.path, c.token, status, body, c.status, c.has)
		}
	}
	if v, _ := sup.Get("db"); v.Instances[0].State != supervisor.Online && v.Instances[0].State != supervisor.Starting {
		t.Errorf("db is %s after a restart and refused changes", v.Instances[0].State)
	}
}
