package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/supervisor"
)

// serveTCP starts apps under a fresh supervisor and opens tend serve's
// listener on a free loopback port, closed with the test.
func serveTCP(t *testing.T, apps ...*spec.App) (*supervisor.Supervisor, apitype.Serving) {
	t.Helper()
	sup, st, dir := newSupervisor(t)
	if err := sup.Add(apps, false); err != nil {
		t.Fatal(err)
	}
	srv := &Server{Sup: sup, Store: st, Home: dir, Log: slog.New(slog.DiscardHandler)}
	served, err := srv.openTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.closeTCP)
	return sup, served
}

// TestWebSession: the login sets an HttpOnly, SameSite=Strict cookie; a
// page carries a strict CSP and the session's CSRF token; a change through
// the session needs both that token and the listener's own Origin; the
// owner's routes stay refused; a foreign Host is refused before anything.
func TestWebSession(t *testing.T) {
	sup, served := serveTCP(t, &spec.App{Name: "db", Script: "sleep", Args: []string{"600"}})
	base := "http://" + served.Address
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, hdr map[string]string, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for k, v := range hdr {
			if k == "Host" {
				req.Host = v
				continue
			}
			req.Header.Set(k, v)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": base}

	if resp, _ := do("GET", "/", nil, ""); resp.StatusCode != 303 || resp.Header.Get("Location") != "/login" {
		t.Fatalf("/ without a session: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := do("POST", "/login", form, "token=wrong"); resp.StatusCode != 401 {
		t.Fatalf("a wrong token: %d", resp.StatusCode)
	}
	foreign := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}
	if resp, _ := do("POST", "/login", foreign, "token="+url.QueryEscape(served.Token)); resp.StatusCode != 403 {
		t.Fatalf("a login from another site: %d", resp.StatusCode)
	}
	resp, _ := do("POST", "/login", form, "token="+url.QueryEscape(served.Token))
	c := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != 303 || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") {
		t.Fatalf("login: %d, cookie %q", resp.StatusCode, c)
	}
	cookie := strings.SplitN(c, ";", 2)[0]
	resp, page := do("GET", "/", map[string]string{"Cookie": cookie}, "")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("the page: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	m := regexp.MustCompile(`name="csrf" content="([0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the page has no CSRF token")
	}
	csrf := m[1]

	for _, c := range []struct {
		what, method, path string
		hdr                map[string]string
		status             int
	}{
		{"read with the session", "GET", "/v1/apps", map[string]string{"Cookie": cookie}, 200},
		{"read without it", "GET", "/v1/apps", nil, 401},
		{"restart without the CSRF token", "POST", "/v1/apps/db/restart", map[string]string{"Cookie": cookie, "Origin": base}, 403},
		{"restart from another Origin", "POST", "/v1/apps/db/restart", map[string]string{"Cookie": cookie, "Origin": "http://evil.example", "X-CSRF-Token": csrf}, 403},
		{"restart with no Origin", "POST", "/v1/apps/db/restart", map[string]string{"Cookie": cookie, "X-CSRF-Token": csrf}, 403},
		{"restart with a wrong CSRF token", "POST", "/v1/apps/db/restart", map[string]string{"Cookie": cookie, "Origin": base, "X-CSRF-Token": "00" + csrf[2:]}, 403},
		{"restart as the dashboard does", "POST", "/v1/apps/db/restart", map[string]string{"Cookie": cookie, "Origin": base, "X-CSRF-Token": csrf}, 200},
		{"delete (the owner's)", "DELETE", "/v1/apps/db", map[string]string{"Cookie": cookie, "Origin": base, "X-CSRF-Token": csrf}, 403},
		{"a foreign Host", "GET", "/v1/apps", map[string]string{"Cookie": cookie, "Host": "evil.example:" + strings.Split(served.Address, ":")[1]}, 403},
	} {
		if resp, body := do(c.method, c.path, c.hdr, "{}"); resp.StatusCode != c.status {
			t.Errorf("%s: %d %s; want %d", c.what, resp.StatusCode, body, c.status)
		}
	}
	if a, _ := sup.Get("db"); len(a.Instances) != 1 {
		t.Fatal("db is gone")
	}
	// Logged out, the cookie is worth nothing.
	do("POST", "/logout", map[string]string{"Cookie": cookie, "Origin": base, "Content-Type": "application/x-www-form-urlencoded"}, "csrf="+csrf)
	if resp, _ := do("GET", "/v1/apps", map[string]string{"Cookie": cookie}, ""); resp.StatusCode != 401 {
		t.Errorf("after logout: %d", resp.StatusCode)
	}
}
