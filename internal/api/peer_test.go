package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/store"
	"github.com/tend-pm/tend/internal/supervisor"
)

// serve starts the API on a socket in a fresh directory and returns the
// socket's path.
func serve(t *testing.T) string {
	t.Helper()
	return serveWith(t, Limits{}, slog.New(slog.DiscardHandler))
}

// newSupervisor is a supervisor over a store in a fresh directory, shut
// down with the test.
func newSupervisor(t *testing.T) (*supervisor.Supervisor, *store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := proc.NewSpawner()
	if err != nil {
		t.Fatal(err)
	}
	sup := supervisor.New(supervisor.Config{Home: dir, Store: st, Spawner: sp})
	t.Cleanup(func() {
		sup.Shutdown(context.Background())
		sp.Close()
		st.Close()
	})
	return sup, st, dir
}

// serveWith is serve with the given limits and logger.
func serveWith(t *testing.T, lim Limits, log *slog.Logger) string {
	t.Helper()
	_, sock := serveSup(t, lim, log)
	return sock
}

// serveSup is serveWith that also returns the supervisor served.
func serveSup(t *testing.T, lim Limits, log *slog.Logger) (*supervisor.Supervisor, string) {
	t.Helper()
	sup, st, dir := newSupervisor(t)
	sock := filepath.Join(dir, "tend.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &Server{Sup: sup, Store: st, Home: dir, Log: log, Stopping: ctx.Done(), StopDaemon: cancel, Limits: lim}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return sup, sock
}

func get(t *testing.T, sock, path string) (int, []byte) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}, Timeout: 10 * time.Second}
	resp, err := c.Get("http://tend" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestOwnerIsServed(t *testing.T) {
	sock := serve(t)
	code, body := get(t, sock, "/v1/version")
	if code != 200 {
		t.Fatalf("GET /v1/version = %d %s, want 200", code, body)
	}
	code, body = get(t, sock, "/v1/apps/nope")
	var eb apitype.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil || code != 404 || eb.Error.Code != apitype.CodeUnknownApp {
		t.Errorf("GET /v1/apps/nope = %d %s, want 404 unknown-app", code, body)
	}
	code, body = get(t, sock, "/v2/nothing")
	if code != 404 || !strings.Contains(string(body), `"code":"not-found"`) {
		t.Errorf("GET /v2/nothing = %d %s, want 404 not-found", code, body)
	}
}

// TestOtherUserIsForbidden: even with the socket opened to everyone, a
// request from another uid (nobody) gets 403.
func TestOtherUserIsForbidden(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to act as nobody")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("needs curl")
	}
	sock := serve(t)
	// Open the socket and every directory above it up to the temp root.
	for p := sock; p != filepath.Clean(os.TempDir()) && p != "/"; p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(curl, "-sS", "-w", "\n%{http_code}", "--unix-socket", sock, "http://tend/v1/version")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	// The test's spawner reaps every child of this process (wait4(-1)),
	// so os/exec may find curl already reaped (ECHILD): its output, read
	// to the end first, is still whole and is what is judged.
	if err != nil && !errors.Is(err, syscall.ECHILD) {
		t.Fatalf("curl as nobody: %v\n%s", err, out)
	}
	text := strings.TrimSpace(string(out))
	i := strings.LastIndexByte(text, '\n')
	body, code := text[:max(i, 0)], text[i+1:]
	if code != "403" || !strings.Contains(body, "uid 65534 may not drive the tend daemon of uid 0") {
		t.Errorf("as nobody: %s %s; want 403 naming the uids", code, body)
	}
}
