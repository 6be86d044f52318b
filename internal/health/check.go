package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
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

// client is shared by every http probe: no redirect is followed (a 3xx
// passes, as in Kubernetes), and no connection is kept, so a probe holds
// nothing open to an app between checks.
var client = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
}

// HTTP checks rawURL with a GET within timeout. It passes on 2xx and 3xx,
// or, when expect is not empty, on one of those statuses.
func HTTP(rawURL string, headers map[string]string, expect []int, timeout time.Duration) Result {
	what := "GET " + rawURL
	if u, err := url.Parse(rawURL); err == nil {
		what = "GET " + u.RequestURI()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return Result{Detail: fmt.Sprintf("%s: %v", what, err)}
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	lat := time.Since(t0)
	if err != nil {
		return Result{Latency: lat, Detail: fmt.Sprintf("%s: %s", what, failure(err, ctx, timeout))}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 400
	if len(expect) > 0 {
		ok = slices.Contains(expect, resp.StatusCode)
	}
	if !ok {
		return Result{Latency: lat, Detail: fmt.Sprintf("%s: status %d", what, resp.StatusCode)}
	}
	return Result{OK: true, Latency: lat, Detail: fmt.Sprintf("%s: %d", what, resp.StatusCode)}
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
		return Result{Latency: lat, Detail: fmt.Sprintf("connect %s: %s", addr, failure(err, ctx, timeout))}
	}
	c.Close()
	return Result{OK: true, Latency: lat, Detail: "connect " + addr + ": ok"}
}

// failure words an error of a probe whose deadline was timeout.
func failure(err error, ctx context.Context, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("timeout after %s", timeout)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
		var se *os.SyscallError
		if errors.As(err, &se) {
			err = se.Err
		}
	}
	return err.Error()
}
