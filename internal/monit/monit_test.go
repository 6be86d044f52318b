package monit

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tend-pm/tend/internal/api"
	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/client"
	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/store"
	"github.com/tend-pm/tend/internal/supervisor"
	"github.com/tend-pm/tend/internal/testutil"
)

// daemon serves a real supervisor's API on a socket in a fresh TEND_HOME
// and returns a client of it.
func daemon(t *testing.T) *client.Client {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := proc.NewSpawner()
	if err != nil {
		t.Fatal(err)
	}
	sup := supervisor.New(supervisor.Config{Home: dir, Store: st, Spawner: sp})
	ln, err := net.Listen("unix", filepath.Join(dir, "tend.sock"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &api.Server{Sup: sup, Store: st, Home: dir, Log: slog.New(slog.DiscardHandler), Stopping: ctx.Done(), StopDaemon: cancel}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		sup.Shutdown(context.Background())
		sp.Close()
		st.Close()
	})
	return client.New(dir, nil)
}

// screen is what the dashboard would draw now.
func screen(tm *teatest.TestModel) string {
	ch := make(probeMsg, 1)
	tm.Send(ch)
	select {
	case s := <-ch:
		return s
	case <-time.After(5 * time.Second):
		return "(no answer from the dashboard)"
	}
}

func pidOf(t *testing.T, c *client.Client, id string) int {
	t.Helper()
	insts, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range insts {
		if in.ID == id {
			return in.Pid
		}
	}
	t.Fatalf("no instance %s", id)
	return 0
}

// TestDashboard drives the dashboard over a real daemon: the list shows
// every app, r restarts the selected one (its pid changes), a crash shows
// within a second, / filters, d asks before it deletes, q quits.
func TestDashboard(t *testing.T) {
	c := daemon(t)
	zero := spec.Duration(0)
	var apps []*spec.App
	for _, n := range []string{"api", "db", "worker"} {
		apps = append(apps, &spec.App{Name: n, Script: "sleep", Args: []string{"1000"}, MinUptime: &zero})
	}
	if _, err := c.Start(apps, false); err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, New(c), teatest.WithInitialTermSize(140, 40))
	t.Cleanup(func() { tm.Quit() })
	testutil.WaitFor(t, 10*time.Second, "every app listed and online", func() bool {
		s := screen(tm)
		return strings.Count(s, "online") >= 3 && strings.Contains(s, "api:0") && strings.Contains(s, "db:0") && strings.Contains(s, "worker:0")
	})

	// r restarts the selected instance, the first.
	before := pidOf(t, c, "api:0")
	tm.Type("r")
	testutil.WaitFor(t, 10*time.Second, "api:0 with a new pid, on screen", func() bool {
		now := pidOf(t, c, "api:0")
		return now != before && now != 0 && strings.Contains(screen(tm), strconv.Itoa(now))
	})

	// A crash shows within a second: kill db's process.
	tm.Type("j") // db is selected: its detail shows the exit
	dbPid := pidOf(t, c, "db:0")
	if err := syscall.Kill(dbPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	testutil.WaitFor(t, 5*time.Second, "db's crash on screen", func() bool {
		return strings.Contains(screen(tm), "killed by SIGKILL")
	})
	if d := time.Since(killed); d > time.Second {
		t.Errorf("the crash showed after %v, want within a second", d)
	} else {
		t.Logf("the crash showed after %v", d)
	}

	// / filters by name.
	tm.Type("/work")
	testutil.WaitFor(t, 5*time.Second, "only worker listed", func() bool {
		s := screen(tm)
		return strings.Contains(s, "worker:0") && !strings.Contains(s, "api:0") && !strings.Contains(s, "db:0")
	})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})

	// d asks first: n keeps it, d then y deletes it.
	tm.Type("d")
	testutil.WaitFor(t, 5*time.Second, "the question", func() bool { return strings.Contains(screen(tm), "delete worker and all its instances?") })
	tm.Type("n")
	testutil.WaitFor(t, 5*time.Second, "kept", func() bool { return strings.Contains(screen(tm), "delete worker: not done") })
	if insts, _ := c.List(); len(insts) != 3 {
		t.Fatalf("%d instances after n, want 3", len(insts))
	}
	tm.Type("dy")
	testutil.WaitFor(t, 10*time.Second, "worker deleted", func() bool {
		insts, _ := c.List()
		return len(insts) == 2
	})

	// ? shows every key; q quits.
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	tm.Type("?")
	testutil.WaitFor(t, 5*time.Second, "the help", func() bool { return strings.Contains(screen(tm), "reload") })
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// TestResize: the screen fits any size, small ones included, a line never
// wider than the terminal.
func TestResize(t *testing.T) {
	m := New(nil)
	m.insts = []apitype.Instance{{Name: "a-very-long-app-name-indeed", ID: "a-very-long-app-name-indeed:0", Status: "online", Pid: 42, Restarts: 3}}
	m.selID = m.insts[0].ID
	for _, size := range [][2]int{{200, 60}, {80, 24}, {50, 12}, {30, 8}} {
		next, _ := m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		m = next.(Model)
		out := m.render()
		lines := strings.Split(out, "\n")
		if len(lines) > size[1] {
			t.Errorf("%dx%d: %d lines", size[0], size[1], len(lines))
		}
		for _, l := range lines {
			if w := widthOf(l); w > size[0] {
				t.Errorf("%dx%d: a line %d wide: %q", size[0], size[1], w, l)
			}
		}
	}
}

func widthOf(s string) int { return lipglossWidth(s) }

// TestPoolInDetail: a pool's instance shows the queue and the counts.
func TestPoolInDetail(t *testing.T) {
	m := New(nil)
	m.insts = []apitype.Instance{{Name: "fib", ID: "fib:0", Status: "online", Pid: 42,
		Pool: &apitype.PoolStats{Queued: 7, QueueMax: 100, InFlight: 2, Workers: 2, Done: 40, Failed: 1, Throughput: 12.5, LatencyP50: 0.002, LatencyP99: 0.0125}}}
	m.selID = "fib:0"
	d := m.detail()
	for _, want := range []string{"queue      7 queued (of 100), 2 in flight on 2 workers", "tasks      40 done, 1 failed, 12.5/s; p50 2.0 ms, p99 12.5 ms"} {
		if !strings.Contains(d, want) {
			t.Errorf("detail has no %q:\n%s", want, d)
		}
	}
}
