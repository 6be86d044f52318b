// Package client is the typed client of the daemon API. It starts the
// daemon when none answers (two CLIs racing start exactly one: a lock
// file), and refuses to drive a daemon of another build, saying how to
// restart it.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/buildinfo"
	"github.com/tend-pm/tend/internal/spec"
)

// Client talks to the daemon of one TEND_HOME.
type Client struct {
	Home   string
	Socket string
	// Spawn starts a daemon; nil means do not start one.
	Spawn func() error
	// AllowOtherBuild lets `daemon stop|status` and `version` talk to a
	// daemon of another build.
	AllowOtherBuild bool
}

// New returns a client for home.
func New(home string, spawn func() error) *Client {
	return &Client{Home: home, Socket: filepath.Join(home, "tend.sock"), Spawn: spawn}
}

// Error is an error the daemon returned.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrNoDaemon means no daemon answers and none was to be started.
var ErrNoDaemon = errors.New("no daemon running")

// BuildMismatchError means the daemon is of another build.
type BuildMismatchError struct{ Daemon, CLI string }

func (e *BuildMismatchError) Error() string {
	return fmt.Sprintf("the daemon runs build %s but this CLI is build %s; restart it with `tend daemon stop` (apps come back with the new daemon)", e.Daemon, e.CLI)
}

// do sends one request, starting the daemon first when needed.
func (c *Client) do(method, path string, body any) (*http.Response, error) {
	var buf []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		if len(b) > apitype.MaxBody {
			return nil, fmt.Errorf("%s %s: the request is %.1f MiB; the daemon takes at most %d MiB (split the file)",
				method, path, float64(len(b))/(1<<20), apitype.MaxBody>>20)
		}
		buf = b
	}
	return c.doRaw(method, path, buf)
}

// doRaw is do with the body encoded.
func (c *Client) doRaw(method, path string, buf []byte) (*http.Response, error) {
	resp, err := c.send(method, path, buf)
	if err != nil && isNoDaemon(err) && c.Spawn != nil {
		if err := c.ensureDaemon(); err != nil {
			return nil, err
		}
		resp, err = c.send(method, path, buf)
	}
	if err != nil {
		if isNoDaemon(err) {
			return nil, fmt.Errorf("%w at %s", ErrNoDaemon, c.Socket)
		}
		return nil, fmt.Errorf("talk to the daemon at %s: %w", c.Socket, err)
	}
	if err := c.check(resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// check turns a reply from another build, or an error reply, into its
// error, closing the body.
func (c *Client) check(resp *http.Response) error {
	if b := resp.Header.Get(apitype.HeaderBuild); !c.AllowOtherBuild && b != "" && b != buildinfo.Build() {
		resp.Body.Close()
		return &BuildMismatchError{Daemon: b, CLI: buildinfo.Build()}
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		var eb apitype.ErrorBody
		if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil {
			return &Error{Status: resp.StatusCode, Code: apitype.CodeInternal, Message: resp.Status}
		}
		return &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	return nil
}

func (c *Client) send(method, path string, body []byte) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://tend"+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set(apitype.HeaderBuild, buildinfo.Build())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Close = true
	return c.roundTrip(req)
}

// roundTrip sends req on a connection of its own and reads the reply from
// it. A CLI sends one or two requests in its life: http.Transport's pool,
// with a reader and a writer goroutine per connection, cost it more than
// the request did.
func (c *Client) roundTrip(req *http.Request) (*http.Response, error) {
	conn, err := net.Dial("unix", c.Socket)
	if err != nil {
		return nil, err
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		conn.Close()
		return nil, err
	}
	resp.Body = connBody{resp.Body, conn}
	return resp, nil
}

// connBody is a reply's body that closes its connection when closed, so
// that a stream ends at once when its reader gives up.
type connBody struct {
	io.ReadCloser
	conn net.Conn
}

func (b connBody) Close() error {
	b.conn.Close()
	return b.ReadCloser.Close()
}

func isNoDaemon(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)
}

// call sends a request and decodes the JSON reply into out (if not nil).
func (c *Client) call(method, path string, body, out any) error {
	resp, err := c.do(method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read daemon reply: %w", err)
	}
	return nil
}

// Version asks the daemon who it is.
func (c *Client) Version() (apitype.Version, error) {
	var v apitype.Version
	return v, c.call("GET", "/v1/version", nil, &v)
}

// List returns every instance.
func (c *Client) List() ([]apitype.Instance, error) {
	var out []apitype.Instance
	return out, c.call("GET", "/v1/apps", nil, &out)
}

// ListJSON returns every instance as the daemon wrote them, a JSON array
// of apitype.Instance: what `ls --json` prints needs no decoding.
func (c *Client) ListJSON() ([]byte, error) {
	resp, err := c.do("GET", "/v1/apps", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read daemon reply: %w", err)
	}
	return b, nil
}

// Show returns one app.
func (c *Client) Show(name string, secrets bool) (apitype.App, error) {
	var out apitype.App
	q := ""
	if secrets {
		q = "?secrets=1"
	}
	return out, c.call("GET", "/v1/apps/"+url.PathEscape(name)+q, nil, &out)
}

// History is the last seconds (at most an hour) of each instance of the
// app name, or of every app for "", a sample a second.
func (c *Client) History(name string, seconds int) ([]apitype.History, error) {
	var out []apitype.History
	q := url.Values{"seconds": {strconv.Itoa(seconds)}}
	if name != "" {
		q.Set("app", name)
	}
	return out, c.call("GET", "/v1/history?"+q.Encode(), nil, &out)
}

// Start sends apps to the daemon.
func (c *Client) Start(apps []*spec.App, replace bool) ([]apitype.Instance, error) {
	var out []apitype.Instance
	apps, env := hoistCallerEnv(apps)
	return out, c.call("POST", "/v1/apps", apitype.StartRequest{Apps: apps, Replace: replace, CallerEnv: env}, &out)
}

// Apply sends apps read from source; with dryRun it only plans.
func (c *Client) Apply(req apitype.ApplyRequest) ([]apitype.Change, error) {
	var out []apitype.Change
	req.Apps, req.CallerEnv = hoistCallerEnv(req.Apps)
	return out, c.call("POST", "/v1/apply", req, &out)
}

// hoistCallerEnv sends the caller's environment once when every app
// carries the same: copies of the apps without it, and it.
func hoistCallerEnv(apps []*spec.App) ([]*spec.App, map[string]string) {
	if len(apps) < 2 {
		return apps, nil
	}
	env := apps[0].CallerEnv
	for _, a := range apps[1:] {
		if !maps.Equal(a.CallerEnv, env) {
			return apps, nil
		}
	}
	out := make([]*spec.App, len(apps))
	for i, a := range apps {
		cp := *a
		cp.CallerEnv = nil
		out[i] = &cp
	}
	return out, env
}

// Act runs an action (start, stop, restart, reload, scale, signal, send)
// on a target and returns the instances it touched.
func (c *Client) Act(target, action string, req apitype.ActionRequest) (apitype.ActionResult, error) {
	var out apitype.ActionResult
	err := c.call("POST", "/v1/apps/"+url.PathEscape(target)+"/"+action, req, &out)
	return out, err
}

// Reload replaces target's instances a generation at a time.
func (c *Client) Reload(target string, parallel int) (apitype.ActionResult, error) {
	return c.Act(target, "reload", apitype.ActionRequest{Parallel: parallel})
}

// Delete forgets a target.
func (c *Client) Delete(target string) error {
	return c.call("DELETE", "/v1/apps/"+url.PathEscape(target), nil, nil)
}

// Specs returns the live apps' specs (for save).
func (c *Client) Specs(secrets bool) ([]*spec.App, error) {
	var out []*spec.App
	q := ""
	if secrets {
		q = "?secrets=1"
	}
	return out, c.call("GET", "/v1/specs"+q, nil, &out)
}

// StopDaemon asks the daemon to stop its apps and exit, and waits until
// it is gone.
func (c *Client) StopDaemon(wait time.Duration) (int, error) {
	var out struct{ Pid int }
	if err := c.call("POST", "/v1/daemon/stop", nil, &out); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if syscall.Kill(out.Pid, 0) != nil {
			return out.Pid, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return out.Pid, fmt.Errorf("daemon pid %d still running after %s", out.Pid, wait)
}

// ReopenLogs has the daemon reopen every log file.
func (c *Client) ReopenLogs() error {
	return c.call("POST", "/v1/logs/reopen", nil, nil)
}

// Flush empties the log files of app ("" for all).
func (c *Client) Flush(app string) error {
	return c.call("DELETE", "/v1/logs?app="+url.QueryEscape(app), nil, nil)
}

// Stream reads an NDJSON stream and calls each with every raw line, until
// the stream ends or ctx is done (which is not an error: it is how a
// follower is interrupted).
func (c *Client) Stream(ctx context.Context, path string, q url.Values, each func([]byte) error) error {
	resp, err := c.do("GET", path+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		if err := each(sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// Home returns TEND_HOME: the variable, else ~/.tend.
func Home() (string, error) {
	if h := os.Getenv("TEND_HOME"); h != "" {
		return filepath.Abs(h)
	}
	u, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory (set TEND_HOME): %w", err)
	}
	return filepath.Join(u, ".tend"), nil
}

// Serve has the daemon open (addr) or close ("") its TCP listener for
// /metrics and the read-only API.
func (c *Client) Serve(addr string) (apitype.Serving, error) {
	var out apitype.Serving
	return out, c.call("POST", "/v1/serve", apitype.ServeRequest{Metrics: addr}, &out)
}

// Serving says what the daemon's TCP listener serves.
func (c *Client) Serving() (apitype.Serving, error) {
	var out apitype.Serving
	return out, c.call("GET", "/v1/serve", nil, &out)
}
