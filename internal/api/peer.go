package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

type peerKey struct{}

// peer is who is on the other end of a connection.
type peer struct {
	uid int
	err error
}

// withPeer reads the peer's credentials once per connection
// (http.Server.ConnContext).
func withPeer(ctx context.Context, c net.Conn) context.Context {
	p := peer{err: errors.New("not a unix socket")}
	if uc, ok := c.(*net.UnixConn); ok {
		p = peer{}
		raw, err := uc.SyscallConn()
		if err == nil {
			err = raw.Control(func(fd uintptr) { p.uid, p.err = peerUID(int(fd)) })
		}
		if err != nil {
			p.err = err
		}
	}
	return context.WithValue(ctx, peerKey{}, p)
}

// checkPeer allows the daemon's own user and root (DESIGN §12).
func checkPeer(ctx context.Context) error {
	p, ok := ctx.Value(peerKey{}).(peer)
	if !ok {
		return errors.New("peer unknown")
	}
	if p.err != nil {
		return fmt.Errorf("cannot read peer credentials: %w", p.err)
	}
	if p.uid != os.Getuid() && p.uid != 0 {
		return fmt.Errorf("uid %d may not drive the tend daemon of uid %d", p.uid, os.Getuid())
	}
	return nil
}

// selfRSS is the daemon's peak resident memory in bytes.
func selfRSS() uint64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return uint64(ru.Maxrss) * maxRSSUnit
}
