package notify

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// Server receives datagrams on its socket.
type Server struct {
	conn *net.UnixConn
	path string
}

// Listen binds a datagram socket at path (replacing a stale one) that
// asks the kernel for each sender's credentials.
func Listen(path string) (*Server, error) {
	os.Remove(path)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	raw, err := conn.SyscallConn()
	if err == nil {
		var serr error
		err = raw.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1)
		})
		if err == nil {
			err = serr
		}
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify socket: SO_PASSCRED: %w", err)
	}
	// Apps may run as other users (user:); the daemon's home is 0700
	// anyway, which is what guards the socket.
	os.Chmod(path, 0o666)
	return &Server{conn: conn, path: path}, nil
}

// Path is where apps send.
func (s *Server) Path() string { return s.path }

// Serve calls fn for each datagram until Close. Datagrams without
// credentials are dropped: tend could not tell whose they are.
func (s *Server) Serve(fn func(Message)) {
	buf := make([]byte, 64<<10)
	oob := make([]byte, syscall.CmsgSpace(syscall.SizeofUcred))
	for {
		n, oobn, _, _, err := s.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		pid := senderPid(oob[:oobn])
		if pid <= 0 {
			continue
		}
		fn(Message{Pid: pid, Fields: Parse(buf[:n])})
	}
}

func senderPid(oob []byte) int {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, m := range msgs {
		if cred, err := syscall.ParseUnixCredentials(&m); err == nil {
			return int(cred.Pid)
		}
	}
	return 0
}

// Close stops Serve and removes the socket.
func (s *Server) Close() error {
	err := s.conn.Close()
	os.Remove(s.path)
	return err
}
