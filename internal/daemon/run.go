package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/tend-pm/tend/internal/logs"
	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/supervisor"
)

// RunOptions configure `tend run`.
type RunOptions struct {
	JSON   bool      // JSON lines instead of prefixed text
	Stdout io.Writer // app output
	Stderr io.Writer // tend's own state changes
}

// RunForeground runs apps in the foreground until they have all ended on
// their own, or SIGTERM/SIGINT asks for a graceful stop. It returns the
// process exit code: 0 after a graceful stop or when every app ended
// cleanly; else the last non-zero exit code of an app (1 if it had none,
// such as an app that could not start).
func RunForeground(apps []*spec.App, opts RunOptions) (int, error) {
	lowerGCGoal()
	sp, err := proc.NewSpawner()
	if err != nil {
		return 1, err
	}
	defer sp.Close()
	var mu sync.Mutex // serializes writes to Stdout and Stderr
	echo := func(e logs.Entry) {
		mu.Lock()
		defer mu.Unlock()
		if opts.JSON {
			json.NewEncoder(opts.Stdout).Encode(e)
			return
		}
		fmt.Fprintf(opts.Stdout, "%s:%d | %s\n", e.App, e.Instance, e.Line)
	}
	// The sd_notify socket lives in a private directory of its own.
	notifyDir, err := os.MkdirTemp("", "tend-run-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(notifyDir)
	// Whole trees as under the daemon: a cgroup per run where one can be
	// made, the TEND_RUN marker, and a keeper if tend run is killed.
	cg, marker, keeper := holdTrees(notifyDir, slog.New(slog.DiscardHandler))
	defer keeper.Close()
	if cg != nil {
		defer os.Remove(cg.Dir)
	}
	sup := supervisor.New(supervisor.Config{Store: &supervisor.MemStore{}, Spawner: sp, Echo: echo,
		StartReason: "started by tend run", NotifySocket: filepath.Join(notifyDir, "notify.sock"), RunDir: notifyDir,
		Cgroups: cg, MarkerPrefix: marker})
	feed, unfollow := sup.FollowEvents()
	defer unfollow()

	sigc := make(chan os.Signal, 8)
	signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	signal.Ignore(syscall.SIGPIPE)
	defer signal.Stop(sigc)

	if err := sup.Add(apps, false); err != nil {
		sup.Shutdown(context.Background())
		return 2, err
	}
	print := func(e spec.Event) {
		if e.To == "" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if opts.JSON {
			json.NewEncoder(opts.Stderr).Encode(e)
		} else {
			fmt.Fprintf(opts.Stderr, "tend: %s:%d %s → %s: %s\n", e.App, e.Instance, e.From, e.To, e.Reason)
		}
	}
	// A reload that SIGHUP started reports how it ended before tend run
	// exits, even when a SIGTERM came while it ran.
	var reloads sync.WaitGroup
	defer reloads.Wait()
	code := -1
	for code < 0 {
		select {
		case sig := <-sigc:
			if sig == syscall.SIGHUP {
				fmt.Fprintln(opts.Stderr, "tend: hangup: reloading every app")
				reloads.Add(1)
				go func() {
					defer reloads.Done()
					warnings, err := sup.Reload("all", 1)
					mu.Lock()
					defer mu.Unlock()
					for _, w := range warnings {
						fmt.Fprintln(opts.Stderr, "tend: warning: "+w)
					}
					if err != nil {
						fmt.Fprintln(opts.Stderr, "tend: reload failed: "+err.Error())
					} else {
						fmt.Fprintln(opts.Stderr, "tend: reload done")
					}
				}()
				continue
			}
			fmt.Fprintf(opts.Stderr, "tend: %s: stopping every app\n", sig)
			code = 0
		case e := <-feed:
			print(e)
			if c, done := allDone(sup); done && e.To != "" {
				code = c
			}
		}
	}
	// Keep printing state changes while the apps stop.
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sup.Shutdown(ctx) }()
	for {
		select {
		case e := <-feed:
			print(e)
		case err := <-done:
			for {
				select {
				case e := <-feed:
					print(e)
				default:
					if err != nil {
						return 1, err
					}
					return code, nil
				}
			}
		}
	}
}

// allDone reports whether no instance is running or due to restart, and
// the exit code that says how they ended.
func allDone(sup *supervisor.Supervisor) (int, bool) {
	code := 0
	for _, a := range sup.List() {
		for _, v := range a.Instances {
			switch v.State {
			case supervisor.Stopped:
			case supervisor.Errored:
				if code == 0 {
					code = 1
				}
			default:
				return 0, false
			}
			if v.LastExit != nil && v.LastExit.Code != 0 {
				code = v.LastExit.Code
			}
		}
	}
	return code, true
}
