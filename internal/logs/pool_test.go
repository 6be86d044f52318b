package logs

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

func TestPaths(t *testing.T) {
	for _, c := range []struct {
		app      spec.App
		id       int
		home     string
		out, err string
	}{
		{spec.App{Name: "web"}, 1, "/h", "/h/logs/web-1-out.log", "/h/logs/web-1-err.log"},
		{spec.App{Name: "web", MergeLogs: true}, 1, "/h", "/h/logs/web-out.log", "/h/logs/web-err.log"},
		{spec.App{Name: "web", Instances: 2, OutFile: "/var/log/w.log"}, 1, "/h", "/var/log/w-1.log", "/h/logs/web-1-err.log"},
		{spec.App{Name: "web", Instances: 1, OutFile: "/var/log/w.log"}, 0, "/h", "/var/log/w.log", "/h/logs/web-0-err.log"},
		{spec.App{Name: "web"}, 0, "", "", ""}, // tend run
	} {
		out, err := Paths(c.home, &c.app, c.id)
		if out != c.out || err != c.err {
			t.Errorf("Paths(%q, %+v, %d) = %q, %q; want %q, %q", c.home, c.app, c.id, out, err, c.out, c.err)
		}
	}
}

// TestPoolSharesAWriterPerPath: instances that write one file (merge_logs)
// share its Writer, and a loss is credited to the app that opened it.
func TestPoolSharesAWriterPerPath(t *testing.T) {
	var p Pool
	type loss struct {
		app string
		id  int
	}
	var got []loss
	p.OnLoss = func(app string, id int, path string, lost int64, err error) { got = append(got, loss{app, id}) }
	a := &spec.App{Name: "a", LogMaxSize: 1 << 20}
	path := filepath.Join(t.TempDir(), "a.log")
	w0, w1 := p.Writer(path, a, 0), p.Writer(path, a, 1)
	if w0 != w1 {
		t.Fatal("two Writers for one path")
	}
	if n0, n1 := p.Writer("", a, 0), p.Writer("", a, 0); n0 == n1 {
		t.Error("the Writer of no file is shared")
	}
	w0.OnLoss(3, nil)
	if len(got) != 1 || got[0] != (loss{"a", 0}) {
		t.Errorf("losses %v; want a:0 once", got)
	}
	w0.WriteLine([]byte("x"))
	if err := p.Close(time.Second); err != nil {
		t.Fatal(err)
	}
	if p.Writer(path, a, 0) == w0 {
		t.Error("after Close, the closed Writer is handed out again")
	}
	p.Close(time.Second)
}
