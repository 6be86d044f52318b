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
	wmu  sync.Mutex
	msgs chan Message
	rone sync.Once
}

func channel() *os.File {
	ch.once.Do(func() {
		fd, err := strconv.Atoi(os.Getenv("TEND_IPC_FD"))
		if err != nil || fd < 3 {
			return
		}
		ch.f = os.NewFile(uintptr(fd), "tend-ipc")
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
	ch.wmu.Lock()
	defer ch.wmu.Unlock()
	_, err = f.Write(append(b, '\n'))
	return err
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
	ch.rone.Do(func() {
		ch.msgs = make(chan Message, 16)
		f := channel()
		if f == nil {
			return
		}
		go func() {
			defer close(ch.msgs)
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var m Message
				if json.Unmarshal(sc.Bytes(), &m) == nil && m.Type != "" {
					ch.msgs <- m
				}
			}
		}()
	})
	return ch.msgs
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
