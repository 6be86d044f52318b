package client

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/buildinfo"
	"github.com/tend-pm/tend/internal/rawio"
)

// Task submits data (a JSON value) to pool's queue; with async it
// returns at once, the task queued, else once it has ended.
func (c *Client) Task(pool string, data []byte, async bool) (apitype.Task, error) {
	path := "/v1/pools/" + url.PathEscape(pool) + "/tasks"
	if async {
		path += "?async=1"
	}
	var t apitype.Task
	err := c.callRaw("POST", path, data, &t)
	return t, err
}

// TaskByID shows a task of pool; with wait, once it has ended.
func (c *Client) TaskByID(pool, id string, wait bool) (apitype.Task, error) {
	path := "/v1/pools/" + url.PathEscape(pool) + "/tasks/" + url.PathEscape(id)
	if wait {
		path += "?wait=1"
	}
	var t apitype.Task
	err := c.call("GET", path, nil, &t)
	return t, err
}

// FailedTasks lists pool's last failed tasks, newest first.
func (c *Client) FailedTasks(pool string) ([]apitype.Task, error) {
	var ts []apitype.Task
	err := c.call("GET", "/v1/pools/"+url.PathEscape(pool)+"/tasks?failed=1", nil, &ts)
	return ts, err
}

// callRaw is call with a body already encoded.
func (c *Client) callRaw(method, path string, body []byte, out any) error {
	if len(body) > apitype.MaxBody {
		return fmt.Errorf("%s %s: the request is %.1f MiB; the daemon takes at most %d MiB", method, path,
			float64(len(body))/(1<<20), apitype.MaxBody>>20)
	}
	resp, err := c.doRaw(method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read daemon reply: %w", err)
	}
	return nil
}

// TaskStream sends the tasks read from in, one JSON value a line, to
// pool over one connection, and calls each with every ended task's line
// as they come. The body is written while the answers are read: the
// daemon answers before the input ends, and a full queue holds the
// writes back. idle, when set, is called whenever every line read so far
// has gone to each and more must be read: a caller that gathers its
// output writes it then, and no answer waits behind a slow task.
func (c *Client) TaskStream(pool string, in io.Reader, each func([]byte) error, idle func()) error {
	conn, err := net.Dial("unix", c.Socket)
	if err != nil && isNoDaemon(err) && c.Spawn != nil {
		if err := c.ensureDaemon(); err != nil {
			return err
		}
		conn, err = net.Dial("unix", c.Socket)
	}
	if err != nil {
		if isNoDaemon(err) {
			return fmt.Errorf("%w at %s", ErrNoDaemon, c.Socket)
		}
		return fmt.Errorf("talk to the daemon at %s: %w", c.Socket, err)
	}
	// The answers are read outside the runtime's syscall entry and its
	// poller (rawio.Take): the daemon's writes of them wake the reader
	// alone. The daemon gathers a busy worker's answers, so one CPU
	// task's comes in a batch every few ms; a CLI that looked every
	// millisecond instead, so as not to be woken for each answer, spent
	// more on its looks than waking costs: 43–63 µs of CPU a fib(25)
	// task against 20–27 woken (bench/pool_rounds.sh).
	raw, err := rawio.Take(conn.(*net.UnixConn))
	if err != nil {
		conn.Close()
		return fmt.Errorf("tasks for %s: %w", pool, err)
	}
	defer raw.Close()
	req, err := http.NewRequest("POST", "http://tend/v1/pools/"+url.PathEscape(pool)+"/tasks/stream", io.NopCloser(in))
	if err != nil {
		return err
	}
	req.Header.Set(apitype.HeaderBuild, buildinfo.Build())
	req.Header.Set("Content-Type", "application/x-ndjson")
	wrote := make(chan error, 1)
	go func() {
		// No CloseWrite after it: net/http's server takes a half-closed
		// connection for a client gone, and cancels the stream.
		wrote <- req.Write(raw)
	}()
	var rd io.Reader = raw
	if idle != nil {
		rd = beforeRead{raw, idle}
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(rd, 64<<10), req)
	if err != nil {
		return fmt.Errorf("tasks for %s: %w", pool, err)
	}
	if err := c.check(resp); err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		if err := each(sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("tasks for %s: the daemon's answers ended: %w", pool, err)
	}
	select {
	case err := <-wrote:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("tasks for %s: sending: %w", pool, err)
		}
	default:
	}
	return nil
}

// beforeRead calls f before each read of r: under a buffered reader, only
// once what was read before has been taken.
type beforeRead struct {
	r io.Reader
	f func()
}

func (b beforeRead) Read(p []byte) (int, error) {
	b.f()
	return b.r.Read(p)
}
