package proc

import (
	"errors"

	"fmt"
	"github.com/tend-pm/tend/internal/cgroup"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Spec is what to start. It is plain data.
type Spec struct {
	// Path, when set, is the program executed with Argv as it is (argv[0]
	// may differ from it); else Argv[0] is looked up.
	Path string
	Argv []string
	Dir  string
	Env  []string // the whole environment, KEY=VALUE
	// Stdout and Stderr are the write ends handed to the child (fd 1, 2);
	// nil means /dev/null. The caller closes its copies after Start.
	Stdout, Stderr *os.File
	// ExtraFiles become fds 3, 4, … in the child.
	ExtraFiles []*os.File
	// Credential, when set, is who the child runs as; User names it in
	// errors.
	Credential *syscall.Credential
	User       string
	// Cgroup, when set, is the group the child is born in (before exec),
	// and through which its tree is found, signalled and killed.
	Cgroup *cgroup.Group
	// Marker is the run's TEND_RUN=… entry (see MarkerVar), added to Env;
	// through it orphans of the run are known as its own.
	Marker string
}

// Status is how a process ended.
type Status struct {
	Code   int            // exit code; 128+signo when signalled; -1 when lost
	Signal syscall.Signal // the signal that killed it, or 0
	// Lost is set when another waiter in this process took the exit
	// status: the process is gone, how it ended is unknown.
	Lost bool
	// CPU is what the process used, the children it reaped included
	// (wait4's rusage).
	CPU CPUTimes
}

// CPUTimes are user and system CPU time.
type CPUTimes struct{ User, System time.Duration }

func cpuOf(ru *syscall.Rusage) CPUTimes {
	return CPUTimes{User: time.Duration(ru.Utime.Nano()), System: time.Duration(ru.Stime.Nano())}
}

func (s Status) String() string {
	if s.Lost {
		return "lost"
	}
	if s.Signal != 0 {
		return "signal " + s.Signal.String()
	}
	return fmt.Sprintf("exit %d", s.Code)
}

// Process is one started child. Its fields are set before Start returns.
type Process struct {
	Pid     int
	Started time.Time
	// Group is the cgroup holding the whole tree, or nil: then the tree
	// is the process group, the descendants seen in /proc, and the
	// orphans reparented to this subreaper that carry Marker.
	Group  *cgroup.Group
	Marker string

	spawner *Spawner

	done   chan struct{} // closed when reaped
	status Status        // valid after done is closed

	mu    sync.Mutex
	known map[int]uint64 // descendants seen so far: pid → start; guarded by mu
	// orphanCPU is the CPU of the tree's members the daemon reaped as
	// orphans; guarded by mu.
	orphanCPU CPUTimes
}

// creditOrphan adds an orphan's CPU to p when p knew it as a member.
func (p *Process) creditOrphan(pid int, cpu CPUTimes) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.known[pid]; !ok {
		return false
	}
	delete(p.known, pid)
	p.orphanCPU.User += cpu.User
	p.orphanCPU.System += cpu.System
	return true
}

// EndedCPU is the CPU of the tree's members that ended and that its live
// members no longer account for: the main process once reaped (with the
// children it reaped), and the orphans the daemon reaped. For a tree
// without a cgroup, whose kernel account this stands in for.
func (p *Process) EndedCPU() CPUTimes {
	p.mu.Lock()
	c := p.orphanCPU
	p.mu.Unlock()
	select {
	case <-p.done:
		c.User += p.status.CPU.User
		c.System += p.status.CPU.System
	default:
	}
	return c
}

// Done is closed when the process has been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Status is valid once Done is closed.
func (p *Process) Status() Status {
	<-p.done
	return p.status
}

// Spawner forks children from one locked thread and reaps them.
type Spawner struct {
	reqs chan spawnReq

	mu      sync.Mutex // guards running and Orphans; held across fork+register
	running map[int]*Process
	// Orphans counts reaped processes that were not started here
	// (grandchildren reparented to the subreaper).
	orphans int

	table sharedTable // what stops and their polls read

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

type spawnReq struct {
	spec  Spec
	reply chan spawnResult
}

type spawnResult struct {
	p   *Process
	err error
}

// NewSpawner makes this process a child subreaper (Linux) and starts the
// forking thread and the reaper. Close stops them.
func NewSpawner() (*Spawner, error) {
	if err := setSubreaper(); err != nil {
		return nil, fmt.Errorf("become child subreaper: %w", err)
	}
	// Files Go opens are close-on-exec, but fds inherited from whoever
	// started us are not; mark them so no child sees them.
	closeOnExecInherited()
	s := &Spawner{
		reqs:    make(chan spawnReq),
		running: make(map[int]*Process),
		stop:    make(chan struct{}),
	}
	// Subscribe before the first fork, so no SIGCHLD goes unseen.
	sigc := make(chan os.Signal, 16)
	signal.Notify(sigc, syscall.SIGCHLD)
	s.wg.Add(2)
	go s.forkLoop()
	go s.reapLoop(sigc)
	return s, nil
}

// Close stops the reaper and the forking goroutine. Running children are
// not touched.
func (s *Spawner) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
}

// Start starts spec and returns once the child exists.
func (s *Spawner) Start(spec Spec) (*Process, error) {
	if len(spec.Argv) == 0 {
		return nil, errors.New("start: empty command")
	}
	path := spec.Path
	if path == "" {
		p, err := LookPath(spec.Argv[0], spec.Dir, spec.Env)
		if err != nil {
			return nil, err
		}
		path = p
	}
	if spec.Dir != "" {
		if fi, err := os.Stat(spec.Dir); err != nil {
			return nil, fmt.Errorf("cwd: %w", err)
		} else if !fi.IsDir() {
			return nil, fmt.Errorf("cwd %s: not a directory", spec.Dir)
		}
	}
	if c := spec.Credential; c != nil {
		if err := CanRun(spec.Dir, path, c, spec.User); err != nil {
			return nil, err
		}
	}
	if spec.Marker != "" {
		spec.Env = append(slices.Clip(spec.Env), spec.Marker)
	}
	r := spawnReq{spec: spec, reply: make(chan spawnResult, 1)}
	r.spec.Path = path
	if spec.Path == "" {
		r.spec.Argv = append([]string{path}, spec.Argv[1:]...)
	}
	select {
	case s.reqs <- r:
	case <-s.stop:
		return nil, errors.New("start: spawner closed")
	}
	res := <-r.reply
	return res.p, res.err
}

// forkLoop runs on a thread that is never unlocked, so the thread dies only
// with the process, and Pdeathsig fires only then.
func (s *Spawner) forkLoop() {
	defer s.wg.Done()
	// Never unlocked: when this goroutine returns, Go ends the thread, and
	// the kernel sends Pdeathsig to every child still alive that was forked
	// from it. That is wanted: Close comes after the apps were stopped, and
	// a child that outlives it would be an orphan.
	runtime.LockOSThread()
	for {
		select {
		case r := <-s.reqs:
			p, err := s.fork(r.spec)
			r.reply <- spawnResult{p, err}
		case <-s.stop:
			return
		}
	}
}

func (s *Spawner) fork(spec Spec) (*Process, error) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	files := []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd()}
	if spec.Stdout != nil {
		files[1] = spec.Stdout.Fd()
	}
	if spec.Stderr != nil {
		files[2] = spec.Stderr.Fd()
	}
	for _, f := range spec.ExtraFiles {
		files = append(files, f.Fd())
	}
	attr := &syscall.ProcAttr{
		Dir:   spec.Dir,
		Env:   spec.Env,
		Files: files,
		Sys:   sysProcAttr(spec.Credential),
	}
	if spec.Cgroup != nil {
		dir, err := spec.Cgroup.Open()
		if err != nil {
			return nil, err
		}
		defer dir.Close()
		intoCgroup(attr.Sys, int(dir.Fd()))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pid, err := syscall.ForkExec(spec.Path, spec.Argv, attr)
	if err != nil {
		return nil, &exec.Error{Name: spec.Argv[0], Err: err}
	}
	p := &Process{Pid: pid, Started: time.Now(), Group: spec.Cgroup, Marker: spec.Marker, spawner: s,
		done: make(chan struct{}), known: map[int]uint64{}}
	s.running[pid] = p
	return p, nil
}

// isMain reports whether pid is a main process started here and not yet
// reaped.
func (s *Spawner) isMain(pid int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.running[pid]
	return ok
}

// Orphans reports how many reparented grandchildren the reaper has reaped.
func (s *Spawner) Orphans() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orphans
}

// reaped is called by the reaper with each pid that wait4 returned.
func (s *Spawner) reaped(pid int, ws syscall.WaitStatus, cpu CPUTimes) {
	s.mu.Lock()
	p, ok := s.running[pid]
	delete(s.running, pid)
	if !ok {
		s.orphans++
		// An orphan of a run without a cgroup: its CPU (and that of the
		// children it reaped) is the run's, which its sampled tree no
		// longer shows.
		for _, q := range s.running {
			if q.creditOrphan(pid, cpu) {
				break
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		return
	}
	switch {
	case ws.Signaled():
		p.status = Status{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}
	default:
		p.status = Status{Code: ws.ExitStatus()}
	}
	p.status.CPU = cpu
	close(p.done)
}

// LookPath resolves file as the child will see it: relative to dir when it
// has a slash, else through the PATH in env. The error reads like os/exec's:
// exec: "foo": executable file not found in $PATH.
func LookPath(file, dir string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		p := file
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		if err := executable(p); err != nil {
			return "", &exec.Error{Name: file, Err: err}
		}
		return p, nil
	}
	path := os.Getenv("PATH")
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) && dir != "" {
			d = filepath.Join(dir, d)
		}
		p := filepath.Join(d, file)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("is a directory")
	}
	if fi.Mode()&0o111 == 0 {
		return os.ErrPermission
	}
	return nil
}
