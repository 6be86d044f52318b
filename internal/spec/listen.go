package spec

import (
	"fmt"
	"net/url"
	"strconv"
)

// ParseListen splits a listen: address (tcp://HOST:PORT, unix:///PATH)
// into the network and address net.Listen takes. The daemon binds with
// it and export writes units and manifests with it: one reading of the
// syntax for both sides.
func ParseListen(addr string) (network, address string, err error) {
	u, err := url.Parse(addr)
	if err != nil {
		return "", "", fmt.Errorf("listen %q: %w", addr, err)
	}
	switch u.Scheme {
	case "tcp", "tcp4", "tcp6":
		if u.Host == "" || u.Port() == "" {
			return "", "", fmt.Errorf("listen %q: want tcp://HOST:PORT, such as tcp://127.0.0.1:3000 or tcp://:3000", addr)
		}
		if _, err := strconv.Atoi(u.Port()); err != nil {
			return "", "", fmt.Errorf("listen %q: port %q is not a number", addr, u.Port())
		}
		return u.Scheme, u.Host, nil
	case "unix":
		if u.Path == "" {
			return "", "", fmt.Errorf("listen %q: want unix:///absolute/path.sock", addr)
		}
		return "unix", u.Path, nil
	}
	return "", "", fmt.Errorf("listen %q: want tcp://HOST:PORT or unix:///PATH", addr)
}
