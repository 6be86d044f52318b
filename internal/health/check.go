package health

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// Result is one probe's outcome.
type Result struct {
	OK      bool
	Latency time.Duration
	// Detail says what was seen, in words: "GET /healthz: 200",
	// "GET /healthz: status 503", "connect 127.0.0.1:3000: connection
	// refused", "GET /healthz: timeout after 1s".
	Detail string
}

// client serves https probes: no redirect is followed (a 3xx passes, as
// in Kubernetes), and no connection is kept, so a probe holds nothing
// open to an app between checks.
var client = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
}

// HTTP checks rawURL with a GET within timeout. It passes on 2xx and 3xx,
// or, when expect is not empty, on one of those statuses.
func HTTP(rawURL string, headers map[string]string, expect []int, timeout time.Duration) Result {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Result{Detail: fmt.Sprintf("GET %s: %v", rawURL, err)}
	}
	var status int
	var lat time.Duration
	if u.Scheme == "http" {
		status, lat, err = plainGET(u, headers, timeout)
	} else {
		status, lat, err = clientGET(u, headers, timeout)
	}
	return verdict("GET "+u.RequestURI(), status, lat, err, expect)
}

// verdict is the Result of a GET that answered status (or failed with err).
func verdict(what string, status int, lat time.Duration, err error, expect []int) Result {
	if err != nil {
		return Result{Latency: lat, Detail: fmt.Sprintf("%s: %s", what, err)}
	}
	ok := status >= 200 && status < 400
	if len(expect) > 0 {
		ok = slices.Contains(expect, status)
	}
	if !ok {
		return Result{Latency: lat, Detail: fmt.Sprintf("%s: status %d", what, status)}
	}
	return Result{OK: true, Latency: lat, Detail: fmt.Sprintf("%s: %d", what, status)}
}

// plainGET sends one HTTP/1.1 GET on a connection of its own and reads
// the reply's head.
func plainGET(u *url.URL, headers map[string]string, timeout time.Duration) (int, time.Duration, error) {
	var c HTTPConn
	defer c.Close()
	return c.get(u, headers, timeout)
}

// HTTPConn is the connection a plain-http probe keeps to its instance
// between checks, so that a check is one request on an open connection:
// 50 apps probed every second cost the daemon 1.8 s of CPU a minute
// through http.Client (a pool, a reader and a writer goroutine per
// connection), and still 0.6 s with a connection per check, most of it
// the kernel's loopback TCP (handshake and close, both ends charged to
// the daemon). The zero HTTPConn has no connection; one goroutine uses it
// at a time.
type HTTPConn struct {
	c  net.Conn
	br *bufio.Reader
}

// Close drops the kept connection, if any.
func (h *HTTPConn) Close() {
	if h.c != nil {
		h.c.Close()
		h.c, h.br = nil, nil
	}
}

// Check is HTTP over h's kept connection (plain http only; https goes
// through net/http with no connection kept).
func (h *HTTPConn) Check(rawURL string, headers map[string]string, expect []int, timeout time.Duration) Result {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" {
		return HTTP(rawURL, headers, expect, timeout)
	}
	status, lat, err := h.get(u, headers, timeout)
	return verdict("GET "+u.RequestURI(), status, lat, err, expect)
}

// get sends a GET on the kept connection, or on a new one, and reads the
// reply. A kept connection the server closed while idle (its keep-alive
// timeout) is not the app failing: that request is sent once more on a
// new connection. A timeout is never retried: a hung app must fail.
func (h *HTTPConn) get(u *url.URL, headers map[string]string, timeout time.Duration) (int, time.Duration, error) {
	deadline := time.Now().Add(timeout)
	t0 := time.Now()
	reused := h.c != nil
	status, err := h.roundTrip(u, headers, deadline, timeout)
	if err != nil && reused && !isTimeout(err) && time.Now().Before(deadline) {
		h.Close()
		status, err = h.roundTrip(u, headers, deadline, timeout)
	}
	if err != nil {
		h.Close()
		return 0, time.Since(t0), failure(err, timeout)
	}
	return status, time.Since(t0), nil
}

func (h *HTTPConn) roundTrip(u *url.URL, headers map[string]string, deadline time.Time, timeout time.Duration) (int, error) {
	if h.c == nil {
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "80")
		}
		c, err := net.DialTimeout("tcp", host, timeout)
		if err != nil {
			return 0, err
		}
		h.c, h.br = c, bufio.NewReaderSize(c, 1<<10)
	}
	h.c.SetDeadline(deadline)
	var req strings.Builder
	req.WriteString("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: tend-probe\r\n")
	for k, v := range headers {
		req.WriteString(k + ": " + v + "\r\n")
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(h.c, req.String()); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(h.br, nil)
	if err != nil {
		return 0, err
	}
	// Read the body to its end (4 KiB at most) so the connection can
	// carry the next check; a longer body, or a server that closes,
	// ends it.
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if err != nil || n == 4<<10 || resp.Close {
		h.Close()
	}
	return resp.StatusCode, nil
}

func isTimeout(err error) bool {
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// clientGET is the GET of an https probe, through net/http.
func clientGET(u *url.URL, headers map[string]string, timeout time.Duration) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, 0, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	lat := time.Since(t0)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, lat, fmt.Errorf("timeout after %s", timeout)
		}
		return 0, lat, failure(err, timeout)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	return resp.StatusCode, lat, nil
}

// TCP checks that addr (host:port) accepts a connection within timeout.
func TCP(addr string, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var d net.Dialer
	t0 := time.Now()
	c, err := d.DialContext(ctx, "tcp", addr)
	lat := time.Since(t0)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timeout after %s", timeout)
		} else {
			err = failure(err, timeout)
		}
		return Result{Latency: lat, Detail: fmt.Sprintf("connect %s: %s", addr, err)}
	}
	c.Close()
	return Result{OK: true, Latency: lat, Detail: "connect " + addr + ": ok"}
}

// failure words a network error of a probe whose deadline was timeout:
// "timeout after 1s", "connection refused".
func failure(err error, timeout time.Duration) error {
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return fmt.Errorf("timeout after %s", timeout)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
		var se *os.SyscallError
		if errors.As(err, &se) {
			err = se.Err
		}
	}
	return err
}
