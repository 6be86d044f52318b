package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"slices"
	"syscall"
	"time"

	"github.com/tend-pm/tend/internal/rawio"
)

// A task stream answers a task a few hundred µs after the last when the
// tasks are CPU work, and the daemon is idle in between. Each write
// through net/http enters the runtime's syscall path, which wakes the
// runtime's monitor thread of a process that was wholly idle (see rawio):
// a wake-up and a sleep of that thread for each answer. So the stream
// takes its connection over once its head is read, and reads the body and
// writes the answers itself, as HTTP/1.1 chunks, outside that path.

// stream is a connection taken over from net/http for one exchange: the
// request's body in, a chunked response out, then the connection closes.
type stream struct {
	raw  *rawio.Conn // the connection, out of net/http and the runtime's poller (rawio.Take)
	body io.Reader   // the request's body, decoded
	out  []byte      // a chunk being framed
}

// takeOver hijacks w's connection and writes the response head, status
// 200 with w's header and contentType. Before it, the handler may still
// answer an error the usual way; after it, only through the stream.
func takeOver(w http.ResponseWriter, r *http.Request, contentType string) (*stream, error) {
	if !r.ProtoAtLeast(1, 1) {
		return nil, badRequest("a stream needs HTTP/1.1 (chunked both ways); this request is %s", r.Proto)
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, fmt.Errorf("taking the connection over: %w", err)
	}
	// The connection is taken out of the runtime's poller, which asks
	// for its output too: the client's read of each answer would wake
	// the daemon. net/http's deadlines for the head stay with the
	// descriptor it gave up; the stream sets its own.
	sc, ok := conn.(interface {
		syscall.Conn
		Close() error
	})
	var raw *rawio.Conn
	if ok {
		raw, err = rawio.Take(sc)
	}
	if !ok || err != nil {
		conn.Close()
		return nil, fmt.Errorf("taking the connection over: not a socket (%T): %v", conn, err)
	}
	// What net/http read ahead of the body is in its reader; the rest
	// comes from the socket.
	ahead, _ := brw.Reader.Peek(brw.Reader.Buffered())
	var in io.Reader = raw
	if len(ahead) > 0 {
		in = io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), raw)
	}
	s := &stream{raw: raw}
	switch {
	case slices.Contains(r.TransferEncoding, "chunked"):
		// Its own small reader frames the chunks; the handler's reader
		// gathers the lines.
		s.body = httputil.NewChunkedReader(in)
	case r.ContentLength > 0:
		s.body = io.LimitReader(in, r.ContentLength)
	default:
		s.body = bytes.NewReader(nil)
	}
	var head bytes.Buffer
	if r.Header.Get("Expect") == "100-continue" {
		head.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	}
	h := w.Header().Clone()
	h.Set("Content-Type", contentType)
	h.Set("Transfer-Encoding", "chunked")
	h.Set("Connection", "close")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	head.WriteString("HTTP/1.1 200 OK\r\n")
	h.Write(&head)
	head.WriteString("\r\n")
	if _, err := raw.Write(head.Bytes()); err != nil {
		raw.Close()
		return nil, fmt.Errorf("stream: writing the head: %w", err)
	}
	return s, nil
}

// Read reads the request's body.
func (s *stream) Read(p []byte) (int, error) { return s.body.Read(p) }

// Write writes p as one chunk of the response, in one write.
func (s *stream) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.out = frame(s.out[:0], p)
	if _, err := s.raw.Write(s.out); err != nil {
		return 0, err
	}
	if cap(s.out) > 64<<10 {
		s.out = nil
	}
	return len(p), nil
}

// SetReadDeadline bounds the wait for the body; SetWriteDeadline, for the
// client to take what is written.
func (s *stream) SetReadDeadline(t time.Time) error  { return s.raw.SetReadDeadline(t) }
func (s *stream) SetWriteDeadline(t time.Time) error { return s.raw.SetWriteDeadline(t) }

// Close ends the response (the last, empty chunk) and the connection.
func (s *stream) Close() error {
	s.raw.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := s.raw.Write([]byte("0\r\n\r\n"))
	return errors.Join(err, s.raw.Close())
}
