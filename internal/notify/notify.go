// Package notify is the daemon's end of systemd's sd_notify protocol
// (DESIGN §10): a datagram socket whose path apps find in NOTIFY_SOCKET.
// Each datagram is newline-separated KEY=VALUE assignments (READY=1,
// STATUS=…, WATCHDOG=1, …); the kernel tells who sent it (SCM_CREDENTIALS),
// which is how tend maps a datagram to an instance, as systemd does.
package notify

import (
	"bytes"
	"strings"
)

// Message is one datagram.
type Message struct {
	Pid    int // the sender, as the kernel says
	Fields map[string]string
}

// Parse reads the assignments of a datagram. Lines without '=' are
// ignored, as systemd ignores them.
func Parse(b []byte) map[string]string {
	out := map[string]string{}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		k, v, ok := strings.Cut(string(line), "=")
		if ok && k != "" {
			out[k] = v
		}
	}
	return out
}
