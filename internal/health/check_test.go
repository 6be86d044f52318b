package health

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestHTTP(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(204)
		case "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/sick":
			w.WriteHeader(503)
		case "/header":
			if r.Header.Get("X-Probe") == "yes" {
				w.WriteHeader(200)
			} else {
				w.WriteHeader(400)
			}
		case "/hang":
			<-hang
		}
	}))
	defer srv.Close()
	defer close(hang) // before Close, which waits for the hanging handler
	tests := []struct {
		path    string
		headers map[string]string
		expect  []int
		ok      bool
		detail  string
	}{
		{"/ok", nil, nil, true, "GET /ok: 204"},
		{"/moved", nil, nil, true, "GET /moved: 302"}, // not followed
		{"/sick", nil, nil, false, "GET /sick: status 503"},
		{"/sick", nil, []int{503}, true, "GET /sick: 503"},
		{"/ok", nil, []int{200}, false, "GET /ok: status 204"},
		{"/header", map[string]string{"X-Probe": "yes"}, nil, true, "GET /header: 200"},
		{"/hang", nil, nil, false, "GET /hang: timeout after 200ms"},
	}
	for _, tt := range tests {
		r := HTTP(srv.URL+tt.path, tt.headers, tt.expect, 200*time.Millisecond)
		if r.OK != tt.ok || r.Detail != tt.detail {
			t.Errorf("%s: ok %v %q; want %v %q", tt.path, r.OK, r.Detail, tt.ok, tt.detail)
		}
		if r.Latency <= 0 || r.Latency > 2*time.Second {
			t.Errorf("%s: latency %s", tt.path, r.Latency)
		}
	}
}

func TestTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if r := TCP(addr, time.Second); !r.OK || r.Detail != "connect "+addr+": ok" {
		t.Errorf("listening: %+v", r)
	}
	l.Close()
	r := TCP(addr, time.Second)
	if r.OK || !strings.HasSuffix(r.Detail, "connection refused") {
		t.Errorf("closed: %+v, want connection refused", r)
	}
}

// A kept connection carries check after check; a server that closed it
// while idle costs a new connection, not a failure; a hung server fails
// at the timeout and is not retried.
func TestHTTPConnKeepsItsConnection(t *testing.T) {
	var conns atomic.Int32
	hang := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			<-hang
		}
		w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	defer close(hang)
	var c HTTPConn
	defer c.Close()
	for i := range 5 {
		if r := c.Check(srv.URL+"/", nil, nil, time.Second); !r.OK {
			t.Fatalf("check %d: %+v", i, r)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("5 checks opened %d connections, want 1", n)
	}
	srv.CloseClientConnections() // as a server's idle timeout does
	time.Sleep(50 * time.Millisecond)
	if r := c.Check(srv.URL+"/", nil, nil, time.Second); !r.OK {
		t.Errorf("after the server closed the idle connection: %+v, want a pass on a new one", r)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	r := c.Check(srv.URL+"/hang", nil, nil, 200*time.Millisecond)
	if r.OK || r.Detail != "GET /hang: timeout after 200ms" {
		t.Errorf("hung: %+v", r)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("a timeout was retried: %d connections, want 2", n)
	}
}
