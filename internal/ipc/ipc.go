// Package ipc is the message channel between the daemon and each child
// (DESIGN §10): one JSON value per line over a unix socketpair. It is the
// framing Node's child_process uses with json serialization, so a Node
// app's process.send and process.on('message') work with no library.
package ipc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tend-pm/tend/internal/rawio"
)

// MaxMessage is the longest line read; a longer one is dropped whole.
const MaxMessage = 1 << 20

// sendTimeout bounds a write to a child: the kernel buffers what it can,
// and a child that never reads gets an error rather than an ever-growing
// queue in the daemon.
const sendTimeout = 2 * time.Second

// Message is one value a child sent.
type Message struct {
	// Type is "ready", "status", "stopping", "metric", "result",
	// "error" (a task's), or "message" for anything else.
	Type  string
	Text  string  // status; a task error's message
	Name  string  // metric
	Value float64 // metric
	ID    json.RawMessage
	Data  json.RawMessage
	// Raw is the value as sent. Of a pool's result, Raw, ID and Data
	// alias the reader's buffer: valid during Read's fn only.
	Raw json.RawMessage
}

// ErrTooLong is what Read reports for a line over MaxMessage.
var ErrTooLong = errors.New("message over 1 MiB dropped")

// Decode reads one line. ok is false for Node's internal messages (an
// object whose cmd starts with NODE_), which are not the app's.
func Decode(line []byte) (m Message, ok bool, err error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return m, false, nil
	}
	if !json.Valid(line) {
		return m, false, fmt.Errorf("not JSON: %.80q", line)
	}
	if m, ok := answer(line); ok {
		return m, true, nil
	}
	m.Raw = json.RawMessage(bytes.Clone(line))
	m.Type = "message"
	switch line[0] {
	case '"':
		var s string
		json.Unmarshal(line, &s)
		switch s {
		case "ready", "online": // process.send('ready'), as PM2's wait_ready
			m.Type = "ready"
		}
		return m, true, nil
	case '{':
		var obj struct {
			Type    string          `json:"type"`
			Cmd     string          `json:"cmd"`
			Text    string          `json:"text"`
			Message string          `json:"message"` // a task's error
			Name    string          `json:"name"`
			Value   float64         `json:"value"`
			ID      json.RawMessage `json:"id"`
			Data    json.RawMessage `json:"data"`
		}
		if json.Unmarshal(line, &obj) != nil {
			return m, true, nil // valid JSON of other shapes stays a message
		}
		if strings.HasPrefix(obj.Cmd, "NODE_") {
			return Message{}, false, nil
		}
		switch obj.Type {
		case "ready", "status", "stopping", "metric", "result", "error", "listen":
			m.Type = obj.Type
		}
		m.Text, m.Name, m.Value, m.ID, m.Data = obj.Text, obj.Name, obj.Value, obj.ID, obj.Data
		if obj.Type == "error" {
			m.Text = obj.Message
		}
	}
	return m, true, nil
}

// answer reads a pool task's result as pkg/tend and Node's process.send
// write it, {"type":"result","id":"…","data":…}, without decoding the
// whole: a pool may answer 100,000 a second. Its Raw, ID and Data alias
// line (a reader's buffer, valid during Read's fn). Any other shape is
// left to Decode's general path.
func answer(line []byte) (Message, bool) {
	const head = `{"type":"result","id":"`
	if !bytes.HasPrefix(line, []byte(head)) {
		return Message{}, false
	}
	rest := line[len(head):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return Message{}, false
	}
	id := line[len(head)-1 : len(head)+end+1] // with its quotes, as ID is
	data, ok := bytes.CutPrefix(rest[end+1:], []byte(`,"data":`))
	if !ok || len(data) < 2 || data[len(data)-1] != '}' {
		return Message{}, false
	}
	data = data[:len(data)-1]
	if !json.Valid(data) { // another key after data
		return Message{}, false
	}
	return Message{Type: "result", ID: id, Data: data, Raw: line}, true
}

// Conn is the daemon's end of one child's channel.
type Conn struct {
	// raw is the daemon's end, read and written outside the runtime's
	// syscall entry and poller (rawio.Own): the child's read of each
	// message would otherwise wake the daemon for nothing.
	raw  *rawio.Conn
	node bool // the child is Node: data goes bare, as process.on('message') expects

	wmu    sync.Mutex
	broken bool // a write timed out part-way: the stream is out of step
}

// readers serve the channels while their children talk.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}

// Pair makes a channel: the daemon's Conn and the child's end, to pass
// as an inherited fd (and close in the daemon once the child has it).
// node says the child speaks Node's protocol.
func Pair(node bool) (*Conn, *os.File, error) {
	fds, err := socketpair()
	if err != nil {
		return nil, nil, fmt.Errorf("ipc socketpair: %w", err)
	}
	// The daemon's end is non-blocking, so that writes can time out.
	raw, err := rawio.Own(fds[0], "ipc")
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, fmt.Errorf("ipc socketpair: %w", err)
	}
	return &Conn{raw: raw, node: node}, os.NewFile(uintptr(fds[1]), "ipc-child"), nil
}

// Read calls fn for each message until the child closes its end or
// Close is called. A line that is not JSON or is too long is reported to
// bad, and reading goes on. idle, when set, is called whenever no whole
// message is left read (before a wait, and at the end): the messages fn
// saw since were read together, and what they started can be finished
// together (a pool's answers written to a stream in one write). What
// idle returns is how long input may gather before the next look (0: wait
// to be woken by it, as ever): a pool's worker with tasks enough in hand
// answers faster than a wake-up an answer is worth.
func (c *Conn) Read(fn func(Message), bad func(error), idle func() time.Duration) {
	if idle != nil {
		defer idle()
	}
	// A small reader, and only while the child is talking: most
	// messages are a few bytes, and every running instance has a
	// channel, mostly quiet. A longer line is gathered in buf, which is
	// let go after a long one.
	var r *bufio.Reader
	defer func() {
		if r != nil {
			r.Reset(nil)
			readers.Put(r)
		}
	}()
	var long bool // inside a line over MaxMessage
	var buf []byte
	waitable := true // false once fdwait says the file cannot be waited on
	for {
		var linger time.Duration
		if idle != nil && !lineRead(r) {
			linger = idle()
		}
		if waitable && (r == nil || r.Buffered() == 0) && len(buf) == 0 && !long {
			if r != nil {
				r.Reset(nil)
				readers.Put(r)
				r = nil
			}
			c.raw.Linger(linger)
			if err := c.raw.WaitReadable(); errors.Is(err, os.ErrClosed) {
				return
			} else if err != nil {
				waitable = false // not pollable: read with a reader held
			}
		}
		if r == nil {
			r = readers.Get().(*bufio.Reader)
			r.Reset(c.raw)
		}
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !long {
				buf = append(buf, chunk...)
				if len(buf) > MaxMessage {
					long, buf = true, buf[:0]
					bad(ErrTooLong)
				}
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return
		}
		if long {
			long = false
		} else if len(chunk) > 0 {
			line := chunk
			if len(buf) > 0 {
				buf = append(buf, chunk...)
				line = buf
			}
			if len(line) > MaxMessage+1 {
				bad(ErrTooLong)
			} else if m, ok, derr := Decode(line); derr != nil {
				bad(derr)
			} else if ok {
				fn(m)
			}
			buf = buf[:0]
			if cap(buf) > 64<<10 {
				buf = nil
			}
		}
		if err != nil {
			return
		}
	}
}

// lineRead reports whether r holds a whole line already read.
func lineRead(r *bufio.Reader) bool {
	if r == nil || r.Buffered() == 0 {
		return false
	}
	b, _ := r.Peek(r.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

// Send delivers data (a JSON value) as process.on('message') receives it
// in Node, and as {"type":"message","data":…} to others.
func (c *Conn) Send(data json.RawMessage) error {
	if !json.Valid(data) {
		return fmt.Errorf("not JSON: %.80q", data)
	}
	var compact bytes.Buffer
	json.Compact(&compact, data) // one line
	if c.node {
		return c.write(compact.Bytes())
	}
	return c.write(fmt.Appendf(nil, `{"type":"message","data":%s}`, compact.Bytes()))
}

// SendLine writes line as it is: one JSON value, or several joined by
// newlines, with no newline at the end; a pool's tasks, which Node's
// process.on('message') and others receive alike, one message a line.
func (c *Conn) SendLine(line []byte) error { return c.write(line) }

// Shutdown asks the child to stop: the bare string "shutdown" to Node
// (as PM2 sends it), {"type":"shutdown"} to others.
func (c *Conn) Shutdown() error {
	if c.node {
		return c.write([]byte(`"shutdown"`))
	}
	return c.write([]byte(`{"type":"shutdown"}`))
}

func (c *Conn) write(line []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.broken {
		return errors.New("the channel is broken: an earlier message was cut short")
	}
	c.raw.SetWriteDeadline(time.Now().Add(sendTimeout))
	n, err := c.raw.Write(append(line, '\n'))
	if n > 0 && err != nil {
		c.broken = true
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("the app has not read its channel for %s: message dropped", sendTimeout)
	}
	return err
}

// SendSocket passes the listening socket f to a Node child as Node's own
// channel passes a handle: a NODE_HANDLE message of type net.Native,
// whose msg (cmd NODE_TEND_LISTEN, internal to Node, so the app's
// process.on('message') never sees it) reaches tend's preload with the
// socket. f's descriptor is read without os.File.Fd, which would make
// the socket, shared with every instance, blocking.
func (c *Conn) SendSocket(msg json.RawMessage, f *os.File) error {
	if !c.node {
		return errors.New("passing a socket needs Node's channel")
	}
	line := fmt.Appendf(nil, `{"cmd":"NODE_HANDLE","type":"net.Native","msg":%s}`+"\n", msg)
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var rights []byte
	if err := sc.Control(func(fd uintptr) { rights = syscall.UnixRights(int(fd)) }); err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.broken {
		return errors.New("the channel is broken: an earlier message was cut short")
	}
	c.raw.SetWriteDeadline(time.Now().Add(sendTimeout))
	n, err := c.raw.WriteMsg(line, rights)
	if err == nil && n < len(line) {
		// The fd went with the first bytes; the rest follow as data.
		m, werr := c.raw.Write(line[n:])
		if n+m < len(line) {
			c.broken = true
		}
		err = werr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("the app has not read its channel for %s: socket not passed", sendTimeout)
	}
	return err
}

// SendNodeInternal writes one line of Node's internal protocol (an object
// whose cmd starts with NODE_), which Node hands to its own listeners
// rather than to the app's.
func (c *Conn) SendNodeInternal(line []byte) error { return c.write(line) }

// Close ends the channel; Read returns.
func (c *Conn) Close() error { return c.raw.Close() }
