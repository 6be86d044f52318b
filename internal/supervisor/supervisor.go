package supervisor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tend-pm/tend/internal/cgroup"
	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/listen"
	"github.com/tend-pm/tend/internal/logs"
	"github.com/tend-pm/tend/internal/notify"
	"github.com/tend-pm/tend/internal/pool"
	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/tally"
)

// Config wires a Supervisor.
type Config struct {
	Home    string // TEND_HOME: logs go to Home/logs; "" keeps no log files
	Store   Store
	Spawner *proc.Spawner
	Logger  *slog.Logger
	// Echo, when set, receives every output line as well (tend run).
	Echo func(logs.Entry)
	// StartReason is the reason recorded when Add starts an app
	// (default "started by tend start").
	StartReason string
	// NotifySocket, if set, is where the sd_notify socket is made
	// (NOTIFY_SOCKET of every instance).
	NotifySocket string
	// RunDir is where tend writes files apps read (the Node preload);
	// default Home.
	RunDir string
	// Limits bound what a command may ask (instances); zero fields take
	// spec.DefaultLimits.
	Limits spec.Limits
	// Cgroups, when set, is where each run gets a cgroup of its own that
	// holds its whole tree; nil keeps trees by process group and /proc.
	Cgroups *cgroup.Root
	// MarkerPrefix names this daemon in each run's TEND_RUN marker
	// (proc.MarkerVar); "" marks no run.
	MarkerPrefix string
}

// Supervisor owns the apps and their instances.
type Supervisor struct {
	home    string
	store   Store
	spawner *proc.Spawner
	log     *slog.Logger
	echo    func(logs.Entry)
	started string // reason of starts by Add
	hub     logs.Hub
	events  eventHub

	ops  opLocks    // one command at a time per app
	mu   sync.Mutex // guards apps and fresh
	apps map[string]*app
	// fresh holds the new generations of reloads in progress: not yet
	// instances of their app, but stopped by Shutdown all the same.
	fresh map[*instance]struct{}

	// pools are the apps' task pools, made at first need; guarded by mu.
	pools map[string]*pool.Pool
	// poolCounts count each pool's tasks held where the next daemon
	// finds them; guarded by mu.
	poolCounts map[string]*tally.Count

	socks  *listen.Registry
	demand demandSockets // bound at a Node app's first listen(port), in cluster mode

	// sampleMu makes sample one pass at a time: the loop's, or a list's
	// for an instance not measured yet.
	sampleMu  sync.Mutex
	sampleBuf []*instance   // the sampler's list of instances, reused; guarded by sampleMu
	reconC    chan struct{} // nudges the reconciler
	depC      chan struct{} // wakes the dependency loop
	jobC      chan struct{} // wakes the job loop
	jobs      jobBook

	writers logs.Pool

	pmu        sync.Mutex // guards byPid
	byPid      map[int]*run
	notify     *notify.Server
	notifyPath string
	runDir     string
	limits     spec.Limits
	cgroups    *cgroup.Root
	enforcer   *cgroup.Enforcer // the apps' kernel-enforced limits
	marker     string
	runSeq     atomic.Uint64 // names each run's cgroup uniquely

	preloadOnce sync.Once
	preloadPath string
	preloadErr  error

	closing chan struct{} // closed when Shutdown begins: reloads give up
	quit    chan struct{} // closed once every instance is stopped
	wg      sync.WaitGroup
}

// app is one app's record and its instances; guarded by Supervisor.mu.
type app struct {
	rec       spec.Record
	instances []*instance
	// invalid, when set, is why the stored spec does not validate: the
	// app is shown errored and never started until a valid one replaces it.
	invalid string
}

// New returns a Supervisor with no apps; Restore brings back stored ones.
func New(cfg Config) *Supervisor {
	s := &Supervisor{
		home: cfg.Home, store: cfg.Store, spawner: cfg.Spawner, log: cfg.Logger, echo: cfg.Echo,
		apps: map[string]*app{}, fresh: map[*instance]struct{}{}, quit: make(chan struct{}), closing: make(chan struct{}), started: cfg.StartReason,
		byPid: map[int]*run{}, pools: map[string]*pool.Pool{}, poolCounts: map[string]*tally.Count{},
		socks: listen.NewRegistry(), reconC: make(chan struct{}, 1),
		depC: make(chan struct{}, 1), jobC: make(chan struct{}, 1),
	}
	s.writers.OnLoss = s.lostLines
	s.ops.released = s.nudge // a command that failed midway may leave a drift
	if s.started == "" {
		s.started = "started by tend start"
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.limits, s.cgroups, s.marker = cfg.Limits, cfg.Cgroups, cfg.MarkerPrefix
	s.enforcer = cgroup.NewEnforcer(cfg.Cgroups, "tend-"+cmp.Or(cfg.MarkerPrefix, "pid"+strconv.Itoa(os.Getpid())))
	if s.limits.MaxInstances <= 0 {
		s.limits.MaxInstances = spec.DefaultLimits().MaxInstances
	}
	s.runDir = cfg.RunDir
	if s.runDir == "" {
		s.runDir = cfg.Home
	}
	if cfg.NotifySocket != "" {
		srv, err := notify.Listen(cfg.NotifySocket)
		if err != nil {
			s.log.Warn("no sd_notify socket; apps cannot use READY=1", "err", err)
		} else {
			s.notify, s.notifyPath = srv, srv.Path()
			s.wg.Go(func() {
				defer crash.Guard(s.log, "sd_notify socket")
				srv.Serve(s.onNotify)
			})
		}
	}
	s.wg.Add(4)
	go s.sampleLoop()
	go s.reconcileLoop()
	go s.depsLoop()
	go s.jobLoop()
	return s
}

// Hub is where followers of output subscribe.
func (s *Supervisor) Hub() *logs.Hub { return &s.hub }

// LogPaths returns the files of instance id of the app named name.
func (s *Supervisor) LogPaths(name string, id int) (out, errp string) {
	s.mu.Lock()
	a, ok := s.apps[name]
	s.mu.Unlock()
	if !ok {
		return "", ""
	}
	return logs.Paths(s.home, a.rec.App, id)
}

func (s *Supervisor) record(e spec.Event) {
	if s.store != nil {
		s.store.AddEvent(e)
	}
	s.events.publish(e)
}

// FollowEvents returns a feed of new events and a function to end it.
func (s *Supervisor) FollowEvents() (<-chan spec.Event, func()) {
	c := s.events.subscribe()
	return c, func() { s.events.unsubscribe(c) }
}

// Restore starts the stored apps as they were: running ones running,
// stopped ones stopped. It is how the list survives a daemon restart.
func (s *Supervisor) Restore() error {
	recs, err := s.store.Apps()
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	slices.SortFunc(recs, func(a, b spec.Record) int { return a.Created.Compare(b.Created) })
	jobs, err := s.store.Jobs()
	if err != nil {
		s.log.Error("restore: the jobs' history does not read; they start without it", "err", err)
	}
	s.jobs.mu.Lock()
	s.jobs.stored = jobs
	s.jobs.mu.Unlock()
	s.reportLostTasks()
	for _, r := range recs {
		s.restoreOne(r)
	}
	s.jobChanged()
	return nil
}

// restoreOne brings back one stored app, under its op lock so that the
// reconciler does not start what is being started here.
func (s *Supervisor) restoreOne(r spec.Record) {
	defer s.ops.lock([]string{r.App.Name})()
	if why := s.invalidRecord(r); why != "" {
		s.restoreInvalid(r, why)
		return
	}
	if err := s.bind([]*spec.App{r.App}); err != nil {
		// Its instances fail to start, with this reason, and retry.
		s.log.Error("restore: bind", "app", r.App.Name, "err", err)
	}
	a := &app{rec: r, instances: s.makeInstances(r.App)}
	s.mu.Lock()
	s.apps[r.App.Name] = a
	s.mu.Unlock()
	var wanted []*instance
	for _, in := range a.instances {
		if r.Wants(in.id) && !r.App.IsJob() { // a job waits for its schedule
			wanted = append(wanted, in)
		}
	}
	if len(wanted) > 0 {
		if err := s.startInstances(wanted, "restored by the daemon"); err != nil {
			s.log.Error("restore", "app", r.App.Name, "err", err)
		}
	}
}

// invalidRecord says why a stored record cannot run, or "". A record that
// does not validate must never stop the daemon: one bad app comes up
// errored and the others restore.
func (s *Supervisor) invalidRecord(r spec.Record) string {
	if r.Invalid != "" {
		return r.Invalid
	}
	if err := r.App.ValidateWith(s.limits); err != nil {
		return strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return ""
}

// restoreInvalid shows r as one errored instance, with why.
func (s *Supervisor) restoreInvalid(r spec.Record, why string) {
	name := r.App.Name
	if !spec.ValidName(name) {
		s.log.Error("restore: a stored record has no usable name; skipped", "name", name, "err", why)
		return
	}
	s.log.Error("restore: the stored spec is invalid; the app stays errored", "app", name, "err", why)
	shown := &spec.App{Name: name, Script: r.App.Script, Instances: 1}
	shown.Canonicalize()
	a := &app{rec: r, invalid: why, instances: []*instance{newInstance(s, shown, 0)}}
	s.mu.Lock()
	s.apps[name] = a
	s.mu.Unlock()
	a.instances[0].send(command{kind: cmdInvalid, why: fmt.Sprintf(
		"its stored spec is invalid: %s; fix the app and run `tend apply FILE` (or `tend start FILE`) with it, or `tend delete %s`", why, name)})
}

// resolveRunnable resolves t and refuses it when a stored spec of it is
// invalid.
func (s *Supervisor) resolveRunnable(t string) ([]target, error) {
	ts, err := s.resolve(t)
	if err != nil {
		return nil, err
	}
	if err := s.runnable(ts); err != nil {
		return nil, err
	}
	return ts, nil
}

// runnable refuses targets whose stored spec is invalid.
func (s *Supervisor) runnable(ts []target) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range ts {
		if t.app.invalid != "" {
			return fmt.Errorf("%w: %s cannot run: its stored spec is invalid: %s", ErrInvalid, t.app.rec.App.Name, t.app.invalid)
		}
	}
	return nil
}

func (s *Supervisor) makeInstances(a *spec.App) []*instance {
	ins := make([]*instance, a.Instances)
	for i := range ins {
		ins[i] = newInstance(s, a, i)
	}
	return ins
}

// check is Check, and that this host can enforce each app's limits.
func (s *Supervisor) check(apps []*spec.App) error {
	if err := Check(apps, s.limits); err != nil {
		return err
	}
	var errs []error
	for _, a := range apps {
		if err := s.enforcer.Check(limitsOf(a)); err != nil {
			errs = append(errs, fmt.Errorf("%w: app %q: %v", ErrInvalid, a.Name, err))
		}
	}
	return errors.Join(append(errs, s.checkGraph(apps))...)
}

// checkGraph refuses dependencies on apps that neither apps nor the
// daemon hold, and a cycle through apps and the daemon's apps.
func (s *Supervisor) checkGraph(apps []*spec.App) error {
	g := s.graph()
	maps.Copy(g, spec.GraphOf(apps))
	var errs []error
	for _, a := range apps {
		for _, d := range a.Dependencies() {
			if _, ok := g[d.App]; !ok {
				errs = append(errs, fmt.Errorf("%w: app %q depends on %q, which tend does not run: start it too (`tend start FILE --only %s,%s`), or drop it from depends_on",
					ErrInvalid, a.Name, d.App, d.App, a.Name))
			}
		}
	}
	if c := g.Cycle(); c != nil {
		errs = append(errs, fmt.Errorf("%w: depends_on makes a cycle: %s", ErrInvalid, strings.Join(c, " → ")))
	}
	return errors.Join(errs...)
}

// Check validates apps without starting anything: the spec, and that each
// program can be found where it will run.
func Check(apps []*spec.App, lim spec.Limits) error {
	var errs []error
	for _, a := range apps {
		if err := a.ValidateWith(lim); err != nil {
			errs = append(errs, err)
			continue
		}
		for _, addr := range a.Listen {
			if _, _, err := listen.Parse(addr); err != nil {
				errs = append(errs, fmt.Errorf("app %q: %w", a.Name, err))
			}
		}
		if err := mayRunAs(a, os.Geteuid(), os.Getuid(), os.Getgid()); err != nil {
			errs = append(errs, err)
			continue
		}
		env, err := Environ(a, 0)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		path, err := proc.LookPath(a.Argv()[0], a.Cwd, env)
		if err == nil {
			if c, user := credential(a); c != nil {
				err = proc.CanRun(a.Cwd, path, c, user)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("app %q: %w", a.Name, err))
		}
	}
	return errors.Join(errs...)
}

// mayRunAs refuses a user or group a daemon of euid, uid and gid cannot
// become: only root changes identity; a daemon that is not root runs apps
// as itself.
func mayRunAs(a *spec.App, euid, uid, gid int) error {
	id, err := a.Identity()
	if err != nil || id == nil || euid == 0 {
		return err
	}
	if a.User != "" && id.Uid != uint32(uid) {
		return &spec.FieldError{App: a.Name, Key: "user", Msg: fmt.Sprintf(
			"%s: the daemon runs as uid %d, not root, and cannot start apps as another user; run the daemon as root, or drop user:", a.User, uid)}
	}
	if a.Group != "" && id.Gid != uint32(gid) {
		return &spec.FieldError{App: a.Name, Key: "group", Msg: fmt.Sprintf(
			"%s: the daemon runs as gid %d, not root, and cannot start apps in another group; run the daemon as root, or drop group:", a.Group, gid)}
	}
	return nil
}

// credential is who a's processes run as, when the daemon can change
// identity (it is root) and a asks for another; else nil.
func credential(a *spec.App) (*syscall.Credential, string) {
	id, _ := a.Identity()
	if id == nil || os.Geteuid() != 0 {
		return nil, ""
	}
	return &syscall.Credential{Uid: id.Uid, Gid: id.Gid, Groups: id.Groups}, id.User
}

// Add stores and starts apps. All are checked first; if any is invalid or
// its name is taken (and replace is false), nothing changes. With replace,
// an existing app of the same name gets the new spec and is restarted.
func (s *Supervisor) Add(apps []*spec.App, replace bool) error {
	defer s.lockApps(apps)()
	return s.add(apps, replace, direct{s.store})
}

func (s *Supervisor) add(apps []*spec.App, replace bool, w writes) error {
	for _, a := range apps {
		a.Canonicalize()
	}
	if err := s.check(apps); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	seen := map[string]bool{}
	for _, a := range apps {
		if seen[a.Name] {
			return fmt.Errorf("%w: %q appears twice", ErrNameTaken, a.Name)
		}
		seen[a.Name] = true
	}
	// The caller holds these apps' op locks, so no other command changes
	// them while the sockets are bound and the store written, which
	// happen outside the supervisor's lock (a List never waits on them).
	s.mu.Lock()
	var recs []spec.Record
	existed := map[string]bool{}
	for _, a := range apps {
		old, ok := s.apps[a.Name]
		if ok && !replace {
			s.mu.Unlock()
			return fmt.Errorf("%w: an app named %q exists; choose another --name, or `tend delete %s` first", ErrNameTaken, a.Name, a.Name)
		}
		created := time.Now()
		if ok {
			created, existed[a.Name] = old.rec.Created, true
		}
		desired := spec.DesiredRunning
		if a.Autostart != nil && !*a.Autostart {
			desired = spec.DesiredStopped // added, to be started by name
		}
		recs = append(recs, spec.Record{App: a, Desired: desired, Created: created})
	}
	s.mu.Unlock()
	if err := s.bind(apps); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := w.put(recs...); err != nil {
		for _, a := range apps {
			if !existed[a.Name] {
				s.socks.Release(a.Name, nil)
			}
		}
		return err
	}
	// New instances are made under the lock; old ones of a replaced app
	// are ended after it, before the new ones start.
	s.mu.Lock()
	var toStart, toRestart, toQuit []*instance
	for _, r := range recs {
		ins := s.makeInstances(r.App)
		job := r.App.IsJob() // started by its schedule, not here
		if old, ok := s.apps[r.App.Name]; ok {
			if r.Desired == spec.DesiredRunning && !job {
				toRestart = append(toRestart, ins...)
			}
			toQuit = append(toQuit, old.instances...)
			old.rec, old.instances = r, ins
			continue
		}
		if r.Desired == spec.DesiredRunning && !job {
			toStart = append(toStart, ins...)
		}
		s.apps[r.App.Name] = &app{rec: r, instances: ins}
	}
	s.mu.Unlock()
	s.jobChanged()
	s.quitInstances(toQuit, "replaced by a new spec")
	for _, a := range apps {
		if a.Pool == nil {
			s.dropPool(a.Name, "its spec has no pool: any more")
		}
		s.socks.Release(a.Name, a.Listen) // addresses the new spec dropped
		if !a.ListensOnDemand() {
			s.demand.release(a.Name) // no longer in PM2's cluster mode
		}
	}
	return errors.Join(s.startInstances(toStart, s.started), s.startInstances(toRestart, "restarted with its spec from the file"))
}

func (s *Supervisor) startInstances(ins []*instance, why string) error {
	var errs []error
	for _, in := range ins {
		if err := in.send(command{kind: cmdStart, why: why}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// each sends c to every instance at once and waits for all replies.
func each(ins []*instance, c command) error {
	errs := make([]error, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			defer crash.Guard(in.log, "command")
			errs[i] = in.send(c)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Supervisor) quitInstances(ins []*instance, why string) {
	s.quitInOrder(nil, ins, why)
}

// quitInOrder is quitInstances, in the stop order of graph g (nil: the
// daemon's apps').
func (s *Supervisor) quitInOrder(g spec.Graph, ins []*instance, why string) {
	s.eachInOrder(g, ins, command{kind: cmdQuit, why: why})
	for _, in := range ins {
		<-in.done
	}
}

// target is what a command addresses: apps and, within them, instances.
type target struct {
	app *app
	ins []*instance
}

// resolve turns "all", "name" or "name:N" into targets.
func (s *Supervisor) resolve(t string) ([]target, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resolveLocked(t)
}

// resolveLocked is resolve with s.mu held.
func (s *Supervisor) resolveLocked(t string) ([]target, error) {
	if t == "all" {
		var out []target
		for _, a := range s.sortedApps() {
			out = append(out, target{a, a.instances})
		}
		return out, nil
	}
	name, idText, hasID := strings.Cut(t, ":")
	a, ok := s.apps[name]
	if !ok && !hasID {
		// PM2's namespace: every app in it (an app's own name wins).
		var out []target
		for _, a := range s.sortedApps() {
			if a.rec.App.Namespace == t {
				out = append(out, target{a, a.instances})
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w %q; `tend ls` lists the apps", ErrUnknownApp, t)
	}
	if !hasID {
		return []target{{a, a.instances}}, nil
	}
	id, err := strconv.Atoi(idText)
	if err != nil || id < 0 || id >= len(a.instances) {
		return nil, fmt.Errorf("%w %q: %s has instances 0 to %d", ErrUnknownApp, t, name, len(a.instances)-1)
	}
	return []target{{a, a.instances[id : id+1]}}, nil
}

func (s *Supervisor) sortedApps() []*app {
	out := make([]*app, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *app) int {
		return cmp.Or(x.rec.Created.Compare(y.rec.Created), strings.Compare(x.rec.App.Name, y.rec.App.Name))
	})
	return out
}

// setDesired stores the desired state d of what ts addresses: of whole
// apps, or of single instances (tend stop web:1 keeps web:1 down while
// the rest runs). The caller holds the apps' op locks, so no other
// command changes them meanwhile; the store is written outside mu.
func (s *Supervisor) setDesired(ts []target, d spec.Desired, w writes) error {
	s.mu.Lock()
	var recs []spec.Record
	var apps []*app
	for _, t := range ts {
		if s.apps[t.app.rec.App.Name] != t.app {
			continue // gone
		}
		r := t.app.rec
		if len(t.ins) == len(t.app.instances) {
			r = r.WantAll(d)
		} else {
			for _, in := range t.ins {
				r = r.Want(in.id, d == spec.DesiredRunning)
			}
		}
		recs = append(recs, r)
		apps = append(apps, t.app)
	}
	s.mu.Unlock()
	if err := w.put(recs...); err != nil {
		return err
	}
	s.mu.Lock()
	for i, a := range apps {
		a.rec = recs[i]
	}
	s.mu.Unlock()
	return nil
}

func allInstances(ts []target) []*instance {
	var out []*instance
	for _, t := range ts {
		out = append(out, t.ins...)
	}
	return out
}

// Stop stops what t addresses and returns once every process is gone.
func (s *Supervisor) Stop(t string) error {
	defer s.lockTarget(t)()
	ts, err := s.resolve(t)
	if err != nil {
		return err
	}
	if err := s.setDesired(ts, spec.DesiredStopped, direct{s.store}); err != nil {
		return err
	}
	for _, t := range ts {
		if p := s.existingPool(t.app.rec.App.Name); p != nil && len(t.ins) == len(t.app.instances) {
			p.Stop(stoppedWhy(t.app.rec.App.Name)) // the queued fail now; those in flight end as their workers drain
		}
	}
	return s.eachInOrder(nil, allInstances(ts), command{kind: cmdStop, why: "stopped by tend stop"})
}

// StartExisting starts stopped apps again (tend start NAME).
func (s *Supervisor) StartExisting(t string) error {
	defer s.lockTarget(t)()
	ts, err := s.resolveRunnable(t)
	if err != nil {
		return err
	}
	if err := s.setDesired(ts, spec.DesiredRunning, direct{s.store}); err != nil {
		return err
	}
	var errs []error
	for _, t := range ts {
		if p := s.existingPool(t.app.rec.App.Name); p != nil {
			p.Start()
		}
		if t.app.rec.App.IsJob() {
			errs = append(errs, s.runNow(t, "run now by tend start"))
			continue
		}
		for _, in := range t.ins {
			if snap := in.snap.Load(); snap.State.Running() || snap.State == Waiting {
				continue
			}
			errs = append(errs, in.send(command{kind: cmdStart, why: "started by tend start"}))
		}
	}
	return errors.Join(errs...)
}

// RunNow runs the job t names at once, as its schedule would (tend
// run-now), and enables its schedule if it was stopped.
func (s *Supervisor) RunNow(t string) error {
	defer s.lockTarget(t)()
	ts, err := s.resolveRunnable(t)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range ts {
		if !t.app.rec.App.IsJob() {
			errs = append(errs, refused(fmt.Errorf("%s is not a job (it has no schedule:); `tend restart %s` restarts it", t.app.rec.App.Name, t.app.rec.App.Name)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := s.setDesired(ts, spec.DesiredRunning, direct{s.store}); err != nil {
		return err
	}
	for _, t := range ts {
		errs = append(errs, s.runNow(t, "run now by tend run-now"))
	}
	return errors.Join(errs...)
}

// runNow starts a run of job t now, by its concurrency rule: a run still
// going is an error with forbid (and allow, when every slot is busy), and
// is replaced with replace. The caller holds the app's op lock.
func (s *Supervisor) runNow(t target, why string) error {
	s.mu.Lock()
	rec := t.app.rec
	s.mu.Unlock()
	snaps := make([]*Snapshot, len(t.app.instances))
	for i, in := range t.app.instances {
		snaps[i] = in.snap.Load()
	}
	act := decideRun(rec, snaps)
	switch act.kind {
	case runNone:
		return refused(fmt.Errorf("%s is stopped; `tend start %s` runs it", rec.App.Name, rec.App.Name))
	case runSkip:
		return refused(fmt.Errorf("%s not run: %s", rec.App.Name, act.why))
	case runReplace:
		return t.app.instances[act.slot].send(command{kind: cmdRestart, why: why + " (concurrency: replace)", runWhy: why})
	}
	return t.app.instances[act.slot].send(command{kind: cmdStart, why: why, runWhy: why})
}

// Restart stops then starts what t addresses. A non-nil callerEnv
// replaces the apps' captured environment first (--update-env).
func (s *Supervisor) Restart(t string, callerEnv map[string]string) error {
	names, err := s.restart(t, callerEnv)
	if err != nil {
		return err
	}
	// Under no lock of the restarted apps, so that locking the
	// dependents cannot deadlock with a command that holds them.
	return s.propagate(names)
}

func (s *Supervisor) restart(t string, callerEnv map[string]string) (names []string, err error) {
	defer s.lockTarget(t)()
	ts, err := s.resolve(t)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		names = append(names, t.app.rec.App.Name)
	}
	return names, s.restartTargets(ts, callerEnv)
}

func (s *Supervisor) restartTargets(ts []target, callerEnv map[string]string) error {
	if err := s.runnable(ts); err != nil {
		return err
	}
	if callerEnv != nil {
		if err := s.updateCallerEnv(ts, callerEnv); err != nil {
			return err
		}
	}
	if err := s.setDesired(ts, spec.DesiredRunning, direct{s.store}); err != nil {
		return err
	}
	return each(allInstances(ts), command{kind: cmdRestart, why: "restarted by tend restart"})
}

// updateCallerEnv stores the new captured environment of the apps in ts
// and hands each instance its new spec, checked first.
func (s *Supervisor) updateCallerEnv(ts []target, env map[string]string) error {
	s.mu.Lock()
	var recs []spec.Record
	for _, t := range ts {
		r := t.app.rec
		r.App = r.App.Clone()
		r.App.CallerEnv = env
		recs = append(recs, r)
	}
	s.mu.Unlock()
	apps := make([]*spec.App, len(recs))
	for i, r := range recs {
		apps[i] = r.App
	}
	if err := s.check(apps); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	// Outside the supervisor's lock; the caller holds the op locks.
	if err := s.store.PutApps(recs...); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.mu.Lock()
	var ins []*instance
	for i, t := range ts {
		t.app.rec = recs[i]
		ins = append(ins, t.app.instances...)
	}
	s.mu.Unlock()
	for _, in := range ins {
		in.send(command{kind: cmdUpdate, app: s.appOf(in)})
	}
	return nil
}

func (s *Supervisor) appOf(in *instance) *spec.App {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apps[in.name].rec.App
}

// Signal sends sig to the process trees that t addresses.
func (s *Supervisor) Signal(t string, sig syscall.Signal) error {
	defer s.lockTarget(t)()
	ts, err := s.resolve(t)
	if err != nil {
		return err
	}
	return each(allInstances(ts), command{kind: cmdSignal, sig: sig})
}

// Delete stops and forgets the apps t addresses.
func (s *Supervisor) Delete(t string) error {
	if strings.Contains(t, ":") {
		return fmt.Errorf("delete %s: delete takes an app, not an instance; use `tend stop %s`", t, t)
	}
	defer s.lockTarget(t)()
	return s.delete(t, direct{s.store})
}

func (s *Supervisor) delete(t string, w writes) error {
	ts, err := s.resolve(t)
	if err != nil {
		return err
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.app.rec.App.Name
	}
	if err := w.del(names...); err != nil {
		return err
	}
	g := s.graph() // the stop order, while they are still there
	s.mu.Lock()
	for _, n := range names {
		delete(s.apps, n)
	}
	s.mu.Unlock()
	s.quitInOrder(g, allInstances(ts), "deleted by tend delete")
	for _, n := range names {
		s.dropPool(n, "its app was deleted")
		s.socks.Release(n, nil)
		s.demand.release(n)
	}
	s.jobChanged()
	return nil
}

// Shutdown stops every process but leaves the desired state as it is, so
// the next daemon brings the apps back (DESIGN §2). It returns when every
// process is gone or ctx ends.
func (s *Supervisor) Shutdown(ctx context.Context) error {
	close(s.closing)
	ins := s.allInstances()
	s.mu.Lock()
	for in := range s.fresh {
		ins = append(ins, in)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.quitInstances(ins, "shutting down")
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("shutdown: %w", ctx.Err())
	}
	s.closePools()
	close(s.quit)
	if s.notify != nil {
		s.notify.Close()
	}
	s.wg.Wait()
	if err := s.writers.Close(closeWritersTimeout); err != nil {
		s.log.Error("log files at shutdown: giving up on them", "err", err)
	}
	s.socks.Close()
	s.demand.release("")
	s.enforcer.Close()
	return err
}

// appendInstances appends every instance, in no order, to buf: the
// sampler's list each second, without allInstances' sort.
func (s *Supervisor) appendInstances(buf []*instance) []*instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.apps {
		buf = append(buf, a.instances...)
	}
	return buf
}

func (s *Supervisor) allInstances() []*instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*instance
	for _, a := range s.sortedApps() {
		out = append(out, a.instances...)
	}
	return out
}

// FlushLogs empties the log files of instance id of app.
func (s *Supervisor) FlushLogs(name string, id int) error {
	ts, err := s.resolve(fmt.Sprintf("%s:%d", name, id))
	if err != nil {
		return err
	}
	in := ts[0].ins[0]
	return errors.Join(in.out.Truncate(), in.err.Truncate())
}

// Scale sets the number of instances of the app named name: new ones
// start (when the app is meant to run), the highest ids stop gracefully
// and go. The count is stored.
func (s *Supervisor) Scale(name string, n int) error {
	defer s.ops.lock([]string{name})()
	return s.scale(name, n, direct{s.store})
}

// ScaleBy changes the number of instances of the app named name by delta
// (scale +2, scale -1), read and changed under the app's op lock, so two
// clients adding one each get two.
func (s *Supervisor) ScaleBy(name string, delta int) error {
	defer s.ops.lock([]string{name})()
	s.mu.Lock()
	a, ok := s.apps[name]
	cur := 0
	if ok {
		cur = len(a.instances)
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w %q; `tend ls` lists the apps", ErrUnknownApp, name)
	}
	return s.scale(name, cur+delta, direct{s.store})
}

func (s *Supervisor) scale(name string, n int, w writes) error {
	if n < 1 {
		return fmt.Errorf("%w: scale %s %d: want 1 or more instances; `tend stop %s` stops them all", ErrInvalid, name, n, name)
	}
	if n > s.limits.MaxInstances {
		return fmt.Errorf("%w: scale %s %d: at most %d instances (a daemon started with a higher --max-instances, or %s, allows more)",
			ErrInvalid, name, n, s.limits.MaxInstances, spec.MaxInstancesEnv)
	}
	s.mu.Lock()
	a, ok := s.apps[name]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("%w %q; `tend ls` lists the apps", ErrUnknownApp, name)
	}
	if a.invalid != "" {
		s.mu.Unlock()
		return fmt.Errorf("%w: %s cannot run: its stored spec is invalid: %s", ErrInvalid, name, a.invalid)
	}
	r := a.rec
	r.App = r.App.Clone()
	r.App.Instances = n
	r = r.Normalize() // instances stopped by hand beyond n are gone
	s.mu.Unlock()
	// Stored outside the supervisor's lock; the app's op lock keeps
	// other commands off it meanwhile.
	if err := w.put(r); err != nil {
		return err
	}
	s.mu.Lock()
	a.rec = r
	s.mu.Unlock()
	return s.resize(a, fmt.Sprintf("scaled down to %d", n), fmt.Sprintf("scaled up to %d", n))
}

// resize makes a's instances the number its record says: new ones start
// when meant to run, the highest ids stop gracefully and go. down and up
// are the reasons recorded. The caller holds a's op lock.
func (s *Supervisor) resize(a *app, down, up string) error {
	s.mu.Lock()
	r := a.rec
	n := r.App.Instances
	old := a.instances
	var added, removed []*instance
	if n > len(old) {
		for id := len(old); id < n; id++ {
			added = append(added, newInstance(s, r.App, id))
		}
		a.instances = append(slices.Clone(old), added...)
	} else {
		removed = old[n:]
		a.instances = slices.Clone(old[:n])
	}
	s.mu.Unlock()
	// The kept instances learn the new count (log paths depend on it)
	// at their next start.
	for _, in := range old[:min(n, len(old))] {
		in.send(command{kind: cmdUpdate, app: r.App})
	}
	s.quitInstances(removed, down)
	s.socks.ReleaseInstances(r.App.Name, n)
	var wanted []*instance
	for _, in := range added {
		if r.Wants(in.id) {
			wanted = append(wanted, in)
		}
	}
	return s.startInstances(wanted, up)
}
