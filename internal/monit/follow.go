package monit

import (
	"context"
	"encoding/json"
	"net/url"

	tea "charm.land/bubbletea/v2"

	"github.com/tend-pm/tend/internal/apitype"
)

// follower follows a stream of the daemon's (an instance's logs, the
// events), whose lines come to the UI one message at a time.
type follower struct {
	target string
	lines  chan string
	cancel context.CancelFunc
	done   chan error
}

type (
	logMsg struct {
		f    *follower
		line string
	}
	logEndMsg struct {
		f   *follower
		err error
	}
)

// followLogs follows target's last lines and what it writes next.
func followLogs(src Source, target string) *follower {
	q := url.Values{"app": {target}, "follow": {"1"}, "lines": {"30"}}
	return follow(src, target, "/v1/logs", q, func(b []byte) string {
		var l apitype.LogLine
		if json.Unmarshal(b, &l) != nil {
			return string(b)
		}
		return l.Stream + " | " + l.Line
	})
}

// followEvents follows the daemon's events from now on: each one is a
// reason to read the list again at once, so that a crash shows within
// moments rather than at the next second.
func followEvents(src Source) *follower {
	return follow(src, "", "/v1/events", url.Values{"follow": {"1"}, "lines": {"0"}}, func(b []byte) string { return string(b) })
}

func follow(src Source, target, path string, q url.Values, format func([]byte) string) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{target: target, lines: make(chan string, 64), cancel: cancel, done: make(chan error, 1)}
	go func() {
		defer close(f.lines)
		f.done <- src.Stream(ctx, path, q, func(b []byte) error {
			line := format(b)
			select {
			case f.lines <- line:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	return f
}

// next waits for the follower's next line.
func (f *follower) next() tea.Cmd {
	return func() tea.Msg {
		line, ok := <-f.lines
		if !ok {
			err := <-f.done
			if err == context.Canceled {
				err = nil
			}
			return logEndMsg{f: f, err: err}
		}
		return logMsg{f: f, line: line}
	}
}

func (f *follower) stop() { f.cancel() }
