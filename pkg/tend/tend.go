// Package tend lets a Go program talk to the process manager that runs
// it: say when it is ready, what it is doing and that it is stopping,
// exchange messages, and take the sockets it was given. It speaks tend's
// IPC channel (TEND_IPC_FD) and systemd's protocols (NOTIFY_SOCKET,
// LISTEN_FDS), so the same program works under tend, under systemd, and
// with no manager at all, where every call is a no-op. It imports only
// the standard library.
package tend

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ErrNoChannel is returned by Send when no IPC channel was given.
var ErrNoChannel = errors.New("tend: no IPC channel (not started by tend, or ipc: off)")

// Message is one value the manager sent: Type "message" with the Data of
// `tend send`, or Type "shutdown" when asked to stop.
type Message struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

var ch struct {
	once sync.Once
	f    *os.File // nil: no channel
	rc   syscall.RawConn

	wmu     sync.Mutex // guards writing and next
	writing bool       // a line is being written
	next    []byte     // lines that came meanwhile, for that writer
	spare   []byte     // next's room, kept by the writer

	rone sync.Once // starts the reader

	cmu      sync.Mutex    // guards the consumers below
	msgs     chan Message  // Messages', once asked for
	serve    func(task)    // ServeTasks', while it serves: starts one task
	gone     chan struct{} // closed when the reader ends, once ServeTasks waits on it
	ended    bool          // the reader has ended
	stop     chan struct{}
	stopOnce sync.Once
}

func channel() *os.File {
	ch.once.Do(func() {
		fd, err := strconv.Atoi(os.Getenv("TEND_IPC_FD"))
		if err != nil || fd < 3 {
			return
		}
		// Non-blocking, the channel is read through Go's poller: a read
		// that waits parks a goroutine, not a thread, and a pool's
		// worker answers sooner.
		syscall.SetNonblock(fd, true)
		ch.f = os.NewFile(uintptr(fd), "tend-ipc")
		ch.rc, _ = ch.f.SyscallConn()
	})
	return ch.f
}

// send writes one JSON line on the channel, if there is one.
func send(v any) error {
	f := channel()
	if f == nil {
		return ErrNoChannel
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("tend: %w", err)
	}
	return writeLine(append(b, '\n'))
}

// maxSpare is the most room writeLine keeps for lines between writes.
const maxSpare = 1 << 20

// writeLine writes one line, whole, on the channel. A line that comes
// while another is being written waits for that write to end, with any
// others that came meanwhile, and the writer writes them all at once:
// answers that end together leave in one write, and wake the daemon
// once. Such a line shares that write's fate: nil is returned for it.
func writeLine(line []byte) error {
	ch.wmu.Lock()
	if ch.writing {
		ch.next = append(ch.next, line...)
		ch.wmu.Unlock()
		return nil
	}
	ch.writing = true
	ch.wmu.Unlock()
	err := writeAll(line)
	for {
		ch.wmu.Lock()
		if len(ch.next) == 0 || err != nil {
			ch.next = ch.next[:0]
			ch.writing = false
			ch.wmu.Unlock()
			return err
		}
		lines := ch.next
		ch.next = ch.spare[:0]
		ch.wmu.Unlock()
		err = writeAll(lines)
		// spare is the writer's alone, as ch.writing is set; its old
		// array is next's now. A burst's room is not kept for ever.
		ch.spare = lines
		if cap(lines) > maxSpare {
			ch.spare = nil
		}
	}
}

// Notify sends sd_notify assignments ("READY=1", "STATUS=…") to
// NOTIFY_SOCKET, if set. It reports whether it sent.
func Notify(assignments ...string) (bool, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	if strings.HasPrefix(path, "@") { // an abstract socket
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("tend: notify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(strings.Join(assignments, "\n"))); err != nil {
		return false, fmt.Errorf("tend: notify: %w", err)
	}
	return true, nil
}

// both says it on the channel and through sd_notify, whichever exist:
// tend's readiness rule may wait for either.
func both(msg any, assignments ...string) error {
	err := send(msg)
	if errors.Is(err, ErrNoChannel) {
		err = nil
	}
	_, nerr := Notify(assignments...)
	return errors.Join(err, nerr)
}

// Ready says the program is ready to serve: the instance turns online,
// and a reload may stop the old one.
func Ready() error { return both(map[string]string{"type": "ready"}, "READY=1") }

// Status sets the line shown for the instance (tend ls, systemctl status).
func Status(text string) error {
	return both(map[string]string{"type": "status", "text": text}, "STATUS="+text)
}

// Stopping says the program has begun to stop.
func Stopping() error { return both(map[string]string{"type": "stopping"}, "STOPPING=1") }

// Send sends v (any JSON value) to tend, which records it as an event.
func Send(v any) error { return send(v) }

// Messages returns what tend sends: `tend send` data and shutdown
// requests. With no channel it returns a channel that never delivers.
func Messages() <-chan Message {
	ch.cmu.Lock()
	if ch.msgs == nil {
		ch.msgs = make(chan Message, 16)
	}
	m := ch.msgs
	ch.cmu.Unlock()
	startReading()
	return m
}

// startReading starts the one reader of the channel, which hands tasks
// to ServeTasks and the rest to Messages.
func startReading() {
	ch.rone.Do(func() {
		f := channel()
		if f == nil {
			return
		}
		go func() {
			defer func() {
				ch.cmu.Lock()
				defer ch.cmu.Unlock()
				if ch.msgs != nil {
					close(ch.msgs)
				}
				if ch.gone != nil {
					close(ch.gone)
				}
				ch.ended = true
			}()
			sc := bufio.NewScanner(reader())
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if t, ok := taskOf(sc.Bytes()); ok {
					ch.cmu.Lock()
					serve := ch.serve
					ch.cmu.Unlock()
					if serve != nil {
						serve(t)
						continue
					}
				}
				var m struct {
					Type      string          `json:"type"`
					ID        string          `json:"id"`
					Data      json.RawMessage `json:"data"`
					TimeoutMS int64           `json:"timeout_ms"`
				}
				if json.Unmarshal(sc.Bytes(), &m) != nil || m.Type == "" {
					continue
				}
				ch.cmu.Lock()
				msgs, serve := ch.msgs, ch.serve
				ch.cmu.Unlock()
				switch {
				case m.Type == "task" && serve != nil:
					serve(task{ID: m.ID, Data: m.Data, TimeoutMS: m.TimeoutMS})
				case m.Type == "shutdown" && serve != nil:
					ch.stopOnce.Do(func() { close(ch.stop) })
					fallthrough
				default:
					if msgs != nil {
						msgs <- Message{Type: m.Type, Data: m.Data}
					}
				}
			}
		}()
	})
}

// Listeners returns the sockets passed by LISTEN_FDS (from tend's
// listen: or a systemd socket unit), in order, if they are meant for
// this process (LISTEN_PID). It unsets the variables, so children do not
// take them too.
func Listeners() ([]net.Listener, error) {
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 1 {
		return nil, nil
	}
	if pid := os.Getenv("LISTEN_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return nil, nil
	}
	names := strings.Split(os.Getenv("LISTEN_FDNAMES"), ":")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDNAMES")
	out := make([]net.Listener, 0, n)
	for i := range n {
		name := "LISTEN_FD_" + strconv.Itoa(3+i)
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		f := os.NewFile(uintptr(3+i), name)
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			for _, l := range out {
				l.Close()
			}
			return nil, fmt.Errorf("tend: listener %s (fd %d): %w", name, 3+i, err)
		}
		out = append(out, ln)
	}
	return out, nil
}
