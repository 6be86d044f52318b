package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-pm/tend/internal/api"
	"github.com/tend-pm/tend/internal/buildinfo"
	"github.com/tend-pm/tend/internal/cgroup"
	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/notify"
	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/store"
	"github.com/tend-pm/tend/internal/supervisor"
)

// shutdownTimeout bounds the stop of every app at daemon shutdown; each
// app's own kill_timeout is shorter unless set otherwise.
const shutdownTimeout = 5 * time.Minute

// Files in TEND_HOME (DESIGN §13).
const (
	SocketName = "tend.sock"
	LockName   = "daemon.lock"
	StateName  = "state.db"
	LogName    = "daemon.log"
	CrashName  = "daemon.crash"
)

// gcPercent is the daemon's GOGC. Its heap is mostly long-lived (each
// instance's state, a few KB) and it allocates little while apps run, so
// collecting at 1.5× the live heap instead of 2× costs little CPU and keeps
// the heap goal (and RSS) lower: with 1,000 apps 50 MB instead of 56 MB,
// with 50 apps 13.5 MB instead of 15.6 MB (bench/core.sh). GOGC in the
// environment still wins.
const gcPercent = 50

func lowerGCGoal() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// Run runs the daemon in home until SIGTERM, SIGINT or an API stop; lim
// bounds what commands may ask.
func Run(home string, lim spec.Limits) error {
	manager := notify.FromEnv() // before any app could inherit it
	lowerGCGoal()
	if err := PrepareHome(home); err != nil {
		return err
	}
	lock, err := lockDaemon(home)
	if err != nil {
		return err
	}
	defer lock.Close()

	logf, err := os.OpenFile(filepath.Join(home, LogName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open daemon log: %w", err)
	}
	defer logf.Close()
	log := slog.New(slog.NewJSONHandler(logf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	log.Info("daemon starting", "pid", os.Getpid(), "build", buildinfo.Build(), "home", home)
	// A crash nothing recovered (a library's goroutine, a fatal runtime
	// error) is reported by the runtime to this file; the next daemon,
	// this one, puts it in the log.
	if prev, err := crash.Capture(filepath.Join(home, CrashName)); err != nil {
		log.Warn("no crash report file", "err", err)
	} else if prev != "" {
		log.Error("the previous daemon crashed", "report", prev)
	}

	st, err := store.Open(filepath.Join(home, StateName))
	if err != nil {
		return err
	}
	defer st.Close()
	sp, err := proc.NewSpawner()
	if err != nil {
		return err
	}
	defer sp.Close()

	sockPath := filepath.Join(home, SocketName)
	ln, err := listen(sockPath)
	if err != nil {
		return err
	}
	defer os.Remove(sockPath)

	cg, marker, keeper := holdTrees(home, log)
	defer keeper.Close() // the keeper then ends what is left, if anything
	if cg != nil {
		defer os.Remove(cg.Dir) // empty once every app stopped
	}
	sup := supervisor.New(supervisor.Config{Home: home, Store: st, Spawner: sp, Logger: log,
		NotifySocket: filepath.Join(home, "notify.sock"), Limits: lim, Cgroups: cg, MarkerPrefix: marker})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sigc := make(chan os.Signal, 8)
	signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1)
	signal.Ignore(syscall.SIGPIPE)
	defer signal.Stop(sigc)

	srv := &api.Server{Sup: sup, Store: st, Home: home, Log: log, Started: time.Now(),
		StopDaemon: stop, Stopping: ctx.Done()}
	// Restore before serving: a request must see every stored app. Clients
	// that connect meanwhile wait in the listen backlog.
	if err := sup.Restore(); err != nil {
		log.Error("restore", "err", err)
	}
	srv.RestoreServe() // the listener of tend serve, if one was asked for
	defer srv.CloseServe()
	served := make(chan error, 1)
	go func() {
		defer crash.Guard(log, "api server")
		served <- srv.Serve(ctx, ln)
	}()
	log.Info("daemon ready", "socket", sockPath)
	// Under a unit of Type=notify (tend startup): ready once every stored
	// app is restored and the socket answers.
	if err := manager.Tell("READY=1", fmt.Sprintf("MAINPID=%d", os.Getpid()), "STATUS=apps restored; serving "+sockPath); err != nil {
		log.Error("tell the service manager", "err", err)
	}

	var runErr error
loop:
	for {
		select {
		case sig := <-sigc:
			switch sig {
			case syscall.SIGHUP:
				// systemd's ExecReload: a rolling reload of every app.
				go reloadAll(sup, log)
				continue
			case syscall.SIGUSR1:
				if err := sup.ReopenLogs(); err != nil {
					log.Error("reopen logs", "err", err)
				} else {
					log.Info("reopened the log files (SIGUSR1)")
				}
				continue
			}
			log.Info("signal", "signal", sig.String())
			break loop
		case <-ctx.Done():
			log.Info("stop requested through the API")
			break loop
		case runErr = <-served:
			log.Error("api server ended", "err", runErr)
			break loop
		}
	}
	stop()
	manager.Tell("STOPPING=1", "STATUS=stopping the apps")
	// Shutdown order: no new requests (ctx), then apps, then the store
	// and the spawner (deferred).
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := sup.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
	}
	log.Info("daemon stopped")
	return runErr
}

// CgroupsEnv set to "off" keeps trees by process group and /proc even
// where cgroups could be made (to compare, and for tests of that path).
const CgroupsEnv = "TEND_CGROUPS"

// holdTrees sets up what holds the apps' trees: a cgroup per run where a
// cgroup v2 can be written (nil, with the reason logged, where not), the
// marker prefix every run's processes carry, and the keeper that ends
// them if this daemon is killed. Both are named after home, so this
// daemon first ends what a killed one of the same home left (else a
// restored app would meet its own orphan on its port).
func holdTrees(home string, log *slog.Logger) (root *cgroup.Root, prefix string, keeper io.Closer) {
	sum := sha256.Sum256([]byte(home))
	prefix = hex.EncodeToString(sum[:6])
	if n := proc.KillMarked(prefix); n > 0 {
		log.Warn("killed the processes an earlier daemon left behind", "processes", n)
	}
	root = openCgroups("tend-"+prefix, log)
	self, err := os.Executable()
	var k *os.File
	if err == nil {
		k, err = proc.StartKeeper(self, prefix, root)
	}
	if err != nil {
		log.Warn("no keeper: if this daemon is killed, the apps' trees live until the next daemon", "err", err)
		return root, prefix, io.NopCloser(nil)
	}
	return root, prefix, k
}

// openCgroups opens the cgroup directory name and ends what it holds.
func openCgroups(name string, log *slog.Logger) *cgroup.Root {
	if os.Getenv(CgroupsEnv) == "off" {
		log.Info("cgroups off (" + CgroupsEnv + "=off): trees are held by process group, /proc and the subreaper")
		return nil
	}
	root, err := cgroup.Open(name)
	if err != nil {
		log.Info("no cgroups: trees are held by process group, /proc and the subreaper", "why", err.Error())
		return nil
	}
	if n, err := root.Leftovers(); err != nil {
		log.Error("cgroups left by an earlier daemon", "err", err)
	} else if n > 0 {
		log.Warn("killed the processes an earlier daemon left in its cgroups", "processes", n)
	}
	log.Info("each run gets a cgroup", "dir", root.Dir)
	return root
}

// Helpers are the daemon's helper processes, by their hidden argument.
var Helpers = map[string]func([]string) int{proc.KeeperArg: proc.KeeperMain}

// PrepareHome creates home, private to the user (0700).
func PrepareHome(home string) error {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("create TEND_HOME: %w", err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		return fmt.Errorf("TEND_HOME %s: %w", home, err)
	}
	return nil
}

// lockDaemon takes TEND_HOME/daemon.lock for the life of the daemon.
func lockDaemon(home string) (*os.File, error) {
	p := filepath.Join(home, LockName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		b, _ := os.ReadFile(p)
		f.Close()
		return nil, fmt.Errorf("another tend daemon (pid %s) holds %s; stop it with `tend daemon stop`", strings.TrimSpace(string(b)), p)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

// listen binds the socket, private to the user, after making sure no live
// daemon answers on it (the lock says none should).
func listen(path string) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("a daemon already answers on %s", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale socket: %w", err)
	}
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// reloadAll is SIGHUP: a rolling reload of every app, reported in the
// daemon's log and, per instance, in the events.
func reloadAll(sup *supervisor.Supervisor, log *slog.Logger) {
	defer crash.Guard(log, "SIGHUP reload")
	log.Info("SIGHUP: reloading every app")
	warnings, err := sup.Reload("all", 1)
	for _, w := range warnings {
		log.Warn("reload", "warning", w)
	}
	if err != nil {
		log.Error("reload failed", "err", err)
		return
	}
	log.Info("reload done")
}
