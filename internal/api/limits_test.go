package api

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func dial(t *testing.T, sock string) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reads from c until EOF and fails unless that came within d.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("connection still open after %s (read %q): %v", d, b, err)
	}
	return b
}

// A body declared over the limit is refused before a byte of it is read:
// the 413 comes while the client has sent only the header.
func TestDeclaredBodyOverLimitIs413(t *testing.T) {
	sock := serveWith(t, Limits{}, slog.New(slog.DiscardHandler))
	c := dial(t, sock)
	io.WriteString(c, "POST /v1/apps HTTP/1.1\r\nHost: tend\r\nContent-Type: application/json\r\nContent-Length: 209715200\r\n\r\n{\"apps\":[")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a 200 MiB body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "over 1048576 bytes") {
		t.Errorf("200 MiB declared body: %d %s; want 413 naming the limit", resp.StatusCode, body)
	}
}

// A chunked body (no length said) that starts as valid JSON is read only
// up to the limit.
func TestChunkedBodyOverLimitIs413(t *testing.T) {
	sock := serveWith(t, Limits{}, slog.New(slog.DiscardHandler))
	big := append([]byte(`{"apps":[{"name":"`), bytes.Repeat([]byte("a"), 2<<20)...)
	req, _ := http.NewRequest("POST", "http://tend/v1/apps", io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1 // chunked
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB chunked body: %d %s; want 413", resp.StatusCode, body)
	}
}

func TestSlowHeaderIsCut(t *testing.T) {
	sock := serveWith(t, Limits{Header: 300 * time.Millisecond}, slog.New(slog.DiscardHandler))
	c := dial(t, sock)
	io.WriteString(c, "GET /v1/version HTTP/1.1\r\nHo") // and no more
	closedWithin(t, c, 3*time.Second)
}

func TestSlowBodyIsCut(t *testing.T) {
	sock := serveWith(t, Limits{Body: 300 * time.Millisecond}, slog.New(slog.DiscardHandler))
	c := dial(t, sock)
	io.WriteString(c, "POST /v1/apps HTTP/1.1\r\nHost: tend\r\nContent-Length: 100\r\n\r\n{") // 1 of 100 bytes
	start := time.Now()
	b := closedWithin(t, c, 3*time.Second)
	if !bytes.Contains(b, []byte("400 Bad Request")) || !bytes.Contains(b, []byte("within 300ms")) {
		t.Errorf("a body at a byte per forever: %q; want 400 saying within 300ms", b)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("cut after %s, before the 300ms limit", d)
	}
}

func TestIdleConnectionIsClosed(t *testing.T) {
	sock := serveWith(t, Limits{Idle: 300 * time.Millisecond}, slog.New(slog.DiscardHandler))
	c := dial(t, sock)
	io.WriteString(c, "GET /v1/version HTTP/1.1\r\nHost: tend\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("idle keep-alive connection: read %v; want EOF (closed by the daemon)", err)
	}
}

// A panicking handler is answered 500 with a message, and the panic and
// its stack are in the log at error level.
func TestPanicIsAnsweredAndLogged(t *testing.T) {
	var logged bytes.Buffer
	s := &Server{Log: slog.New(slog.NewJSONHandler(&logged, nil))}
	h := s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		var ids []int
		_ = ids[len(r.URL.Path)] // the kind of bug found in Supervisor.Get
		return nil
	}, checkPeerOf)
	req := httptest.NewRequest("POST", "/v1/apps/x/stop", nil)
	req = req.WithContext(context.WithValue(req.Context(), peerKey{}, peer{uid: os.Getuid()}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "panic: runtime error: index out of range [15] with length 0") {
		t.Errorf("panicking handler answered %d %s; want 500 naming the panic", rec.Code, rec.Body)
	}
	log := logged.String()
	for _, want := range []string{`"level":"ERROR"`, `"msg":"panic serving a request"`, `"stack":"goroutine `, "limits_test.go"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}
