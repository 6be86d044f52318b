package supervisor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tend-pm/tend/internal/ipc"
	"github.com/tend-pm/tend/internal/pool"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/tally"
)

// Task pools (DESIGN §10): an app with pool: has its online instances
// take tasks over their IPC channel. The pool itself (internal/pool)
// knows no processes; here each run of a worker is joined when it comes
// online, drained when it stops, and taken out when it ends.

// ErrNoPool is a task for an app that has no pool: key.
var ErrNoPool = errors.New("no pool")

// poolFor returns app's pool, made at first need, with app's settings.
// The pool's lock is never taken under s.mu: a pool asks the supervisor
// (its Why hook takes s.mu) while it holds its own.
func (s *Supervisor) poolFor(app *spec.App) *pool.Pool {
	set := *app.Pool
	s.mu.Lock()
	p, ok := s.pools[app.Name]
	if !ok {
		name := app.Name
		p = pool.New(name, set, pool.Hooks{
			Replace: func(w *pool.Worker, kind, why string) { s.replaceWorker(name, w, kind, why) },
			Why:     func() string { return s.poolWhy(name) },
		})
		s.pools[name] = p
		s.countPool(name, p)
	}
	s.mu.Unlock()
	if ok {
		p.Update(set)
	}
	return p
}

// existingPool is name's pool if it has one made.
func (s *Supervisor) existingPool(name string) *pool.Pool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pools[name]
}

// dropPool ends name's pool, its app deleted or its pool: key removed.
func (s *Supervisor) dropPool(name, why string) {
	s.mu.Lock()
	p, c := s.pools[name], s.poolCounts[name]
	delete(s.pools, name)
	delete(s.poolCounts, name)
	s.mu.Unlock()
	if p != nil {
		if n := p.Close(why); n > 0 {
			s.record(spec.Event{Time: time.Now(), App: name, Instance: -1,
				Reason: fmt.Sprintf("%d tasks of the pool were lost: %s", n, why)})
		}
	}
	if c != nil {
		if err := c.Remove(); err != nil {
			s.log.Warn("pools: removing the count of tasks held", "app", name, "err", err)
		}
	}
}

// closePools ends every pool at shutdown: what was queued is lost, and
// said so.
func (s *Supervisor) closePools() {
	s.mu.Lock()
	names := make([]string, 0, len(s.pools))
	for n := range s.pools {
		names = append(names, n)
	}
	s.mu.Unlock()
	for _, n := range names {
		s.dropPool(n, "the daemon shut down")
	}
}

// countsDir is where each pool's count of the tasks it holds is kept,
// under the home: a daemon killed with no shutdown (a kill -9, a crash)
// leaves the next one the count of the tasks it lost, every one up to
// the last accepted.
func (s *Supervisor) countsDir() string { return filepath.Join(s.home, "pools") }

// countPool has p's tasks held counted in a file of its own; s.mu is
// held. A daemon with no home counts none.
func (s *Supervisor) countPool(name string, p *pool.Pool) {
	if s.home == "" {
		return
	}
	c, err := tally.Open(s.countsDir(), name)
	if err != nil {
		s.log.Warn("pools: the tasks held are not counted; a kill -9 of the daemon would lose them unsaid", "app", name, "err", err)
		return
	}
	p.CountIn(c)
	s.poolCounts[name] = c
}

// syncPoolCounts writes the pools' counts that changed to the disk, for
// a machine that crashes (a daemon killed needs none); the sampler calls
// it each second.
func (s *Supervisor) syncPoolCounts() {
	s.mu.Lock()
	cs := slices.Collect(maps.Values(s.poolCounts))
	s.mu.Unlock()
	for _, c := range cs {
		if err := c.Sync(); err != nil {
			s.log.Warn("pools: syncing the count of tasks held", "err", err)
		}
	}
}

// reportLostTasks, at a daemon's start, records as lost the tasks the
// daemon before held when it ended with no shutdown (a kill -9, a crash):
// the pool is not a durable queue, and says so rather than forget them.
func (s *Supervisor) reportLostTasks() {
	if s.home == "" {
		return
	}
	left, err := tally.Left(s.countsDir())
	if err != nil {
		s.log.Warn("pools: reading the counts of tasks the daemon before held", "err", err)
	}
	for name, n := range left {
		s.record(spec.Event{Time: time.Now(), App: name, Instance: -1,
			Reason: fmt.Sprintf("%d tasks of the pool were lost: the daemon before this one ended (with no shutdown) while they were queued or running; the pool is not a durable queue", n)})
	}
}

// poolApp is the app name's spec when it has a pool.
func (s *Supervisor) poolApp(name string) (*spec.App, spec.Desired, error) {
	s.mu.Lock()
	a, ok := s.apps[name]
	s.mu.Unlock()
	if !ok {
		return nil, "", fmt.Errorf("%w %q", ErrUnknownApp, name)
	}
	if a.rec.App.Pool == nil {
		return nil, "", fmt.Errorf("%w: %s has no pool: key; add pool: {} to its spec to make its instances take tasks", ErrNoPool, name)
	}
	return a.rec.App, a.rec.Desired, nil
}

// SubmitTask queues a task of data on name's pool.
func (s *Supervisor) SubmitTask(name string, data json.RawMessage, o pool.SubmitOptions) (*pool.Ticket, error) {
	app, desired, err := s.poolApp(name)
	if err != nil {
		return nil, err
	}
	p := s.poolFor(app)
	if desired == spec.DesiredStopped {
		p.Stop(stoppedWhy(name))
	} else {
		p.Start()
	}
	k, err := p.Submit(data, o)
	if err != nil {
		return nil, fmt.Errorf("task for %s: %w", name, err)
	}
	return k, nil
}

func stoppedWhy(name string) string {
	return "stopped by tend stop; tend start " + name + " takes tasks again"
}

// Task is the task id of name's pool, and a channel closed when it ends.
func (s *Supervisor) Task(name, id string) (pool.Record, <-chan struct{}, error) {
	app, _, err := s.poolApp(name)
	if err != nil {
		return pool.Record{}, nil, err
	}
	if r, done, ok := s.poolFor(app).Get(id); ok {
		return r, done, nil
	}
	if at, ok := pool.Earlier(id); ok {
		return pool.Record{}, nil, fmt.Errorf("%w %s: it was accepted by an earlier daemon (started %s), which has ended: a task it had not finished was lost, and results do not outlive the daemon (the pool is not a durable queue)",
			ErrTaskUnknown, id, at.Format(time.DateTime))
	}
	return pool.Record{}, nil, fmt.Errorf("%w %s: %s has none by that id (results are kept for the last 10,000 tasks, up to 10 minutes)", ErrTaskUnknown, id, name)
}

// ErrTaskUnknown is a task id the pool does not know.
var ErrTaskUnknown = errors.New("unknown task")

// FailedTasks are the last failures of name's pool, newest first.
func (s *Supervisor) FailedTasks(name string) ([]pool.Record, error) {
	app, _, err := s.poolApp(name)
	if err != nil {
		return nil, err
	}
	return s.poolFor(app).FailedTasks(), nil
}

// PoolStats are name's pool's counts, ok false when it has none.
func (s *Supervisor) PoolStats(name string) (pool.Stats, bool) {
	p := s.existingPool(name)
	if p == nil {
		return pool.Stats{}, false
	}
	return p.Stats(), true
}

// replaceWorker restarts the instance whose run is w, for a pool's
// reason (a task over its timeout, max_tasks_per_worker).
func (s *Supervisor) replaceWorker(name string, w *pool.Worker, kind, why string) {
	for _, in := range s.instancesOf(name) {
		if r := in.live.Load(); r != nil && r.worker == w {
			go in.tell(appSignal{r: r, kind: sigReplace, from: kind, text: why})
			return
		}
	}
}

// instancesOf lists name's instances, and a reload's new ones.
func (s *Supervisor) instancesOf(name string) []*instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*instance
	if a, ok := s.apps[name]; ok {
		out = append(out, a.instances...)
	}
	for in := range s.fresh {
		if in.name == name {
			out = append(out, in)
		}
	}
	return out
}

// poolWhy says why no instance of name takes tasks.
func (s *Supervisor) poolWhy(name string) string {
	var parts []string
	for _, in := range s.instancesOf(name) {
		sn := in.snap.Load()
		if sn.State == Online {
			continue
		}
		p := fmt.Sprintf("%s:%d %s", sn.App, sn.Instance, sn.State)
		if sn.Reason != "" {
			p += " (" + sn.Reason + ")"
		}
		parts = append(parts, p)
		if len(parts) == 3 {
			break
		}
	}
	return strings.Join(parts, "; ")
}

// poolWorker makes r a worker of app's pool when app has one.
func (in *instance) poolWorker(r *run, app *spec.App) {
	if app.Pool == nil || r.conn == nil {
		return
	}
	r.pool = in.sup.poolFor(app)
	r.worker = pool.NewWorker(in.name+":"+strconv.Itoa(in.id), r.conn.SendLine)
}

// taskAnswer hands a worker's result or error to its pool; false if it
// is not one (no pool, no id, a task not in flight on this run).
func taskAnswer(r *run, m ipc.Message) bool {
	if r.worker == nil || len(m.ID) < 2 || m.ID[0] != '"' {
		return false
	}
	var id string
	if raw := m.ID[1 : len(m.ID)-1]; bytes.IndexByte(raw, '\\') < 0 {
		id = string(raw)
	} else if json.Unmarshal(m.ID, &id) != nil {
		return false
	}
	return r.pool.Finish(r.worker, id, m.Data, m.Text, m.Type == "error")
}

// drainTasks, as r stops, waits for its tasks in flight to end, up to
// kill_timeout, before the stop signal; it reports whether it waits.
func (in *instance) drainTasks(r *run) bool {
	if r.worker == nil {
		return false
	}
	n, idle := r.pool.Drain(r.worker)
	if n == 0 {
		return false
	}
	r.tasksIdle, r.tasksC = idle, time.After(in.app.KillTimeout.D())
	in.note(fmt.Sprintf("waiting for %d tasks in flight to end (up to kill_timeout %s) before it stops", n, in.app.KillTimeout))
	return true
}

// tasksDrained is the wait of drainTasks ending: the stop goes on.
func (in *instance) tasksDrained(r *run, timedOut bool) {
	r.tasksIdle, r.tasksC = nil, nil
	if timedOut {
		in.note(fmt.Sprintf("kill_timeout %s passed with tasks in flight: stopping", in.app.KillTimeout))
	}
	if r.killC == nil && in.state == Stopping {
		in.askToStop()
	}
}
