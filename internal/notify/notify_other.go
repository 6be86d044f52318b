//go:build !linux

package notify

import "errors"

// Server is not available: sd_notify is Linux's (systemd's) protocol.
type Server struct{}

// Listen reports that there is no notify socket on this system.
func Listen(path string) (*Server, error) {
	return nil, errors.New("sd_notify is supported on Linux only")
}

// Path is "".
func (s *Server) Path() string { return "" }

// Serve returns at once.
func (s *Server) Serve(func(Message)) {}

// Close does nothing.
func (s *Server) Close() error { return nil }
