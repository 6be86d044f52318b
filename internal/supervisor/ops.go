package supervisor

import (
	"slices"
	"strings"
	"sync"

	"github.com/tend-pm/tend/internal/spec"
)

// opLocks serialize the commands on one app: start, stop, restart,
// reload, scale, delete, apply and send each hold the locks of the apps
// they act on for their whole run, so two clients racing on one app are
// answered one after the other, and the store and the in-memory state
// change together (issue 10: a delete racing a stop came back after a
// daemon restart). A command on "all" locks every app, in name order,
// so two never wait on each other. Reads (ls, show, logs) take none.
type opLocks struct {
	mu sync.Mutex // guards m
	m  map[string]*opLock
	// released, if set, is called after a command's locks are released.
	released func()
}

type opLock struct {
	sync.Mutex
	refs int // holders and waiters; the entry goes at 0
}

// lock takes the locks of names (in order, each once) and returns the
// function that releases them.
func (o *opLocks) lock(names []string) (unlock func()) {
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	held := make([]*opLock, len(names))
	o.mu.Lock()
	if o.m == nil {
		o.m = map[string]*opLock{}
	}
	for i, n := range names {
		l := o.m[n]
		if l == nil {
			l = &opLock{}
			o.m[n] = l
		}
		l.refs++
		held[i] = l
	}
	o.mu.Unlock()
	for _, l := range held {
		l.Lock()
	}
	return func() { o.release(names, held) }
}

// tryLock takes name's lock only if no command holds it or waits for it:
// the reconciler leaves an app alone while a command works on it.
func (o *opLocks) tryLock(name string) (unlock func(), ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]*opLock{}
	}
	if o.m[name] != nil {
		return nil, false
	}
	l := &opLock{refs: 1}
	l.Lock()
	o.m[name] = l
	return func() { o.release([]string{name}, []*opLock{l}) }, true
}

func (o *opLocks) release(names []string, held []*opLock) {
	for _, l := range held {
		l.Unlock()
	}
	o.mu.Lock()
	for i, l := range held {
		if l.refs--; l.refs == 0 {
			delete(o.m, names[i])
		}
	}
	o.mu.Unlock()
	if o.released != nil {
		o.released()
	}
}

// lockTarget locks the apps that t ("all", "name" or "name:N") names
// now; the caller resolves t again under the lock.
func (s *Supervisor) lockTarget(t string) (unlock func()) {
	name, _, hasID := strings.Cut(t, ":")
	s.mu.Lock()
	_, isApp := s.apps[name]
	var names []string
	switch {
	case t != "all" && (isApp || hasID):
		names = []string{name}
	default: // all, or a namespace (or a name to be refused as unknown)
		for n, a := range s.apps {
			if t == "all" || a.rec.App.Namespace == t {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			names = []string{name}
		}
	}
	s.mu.Unlock()
	return s.ops.lock(names)
}

// lockApps locks the apps named in apps.
func (s *Supervisor) lockApps(apps []*spec.App) (unlock func()) {
	names := make([]string, len(apps))
	for i, a := range apps {
		names[i] = a.Name
	}
	return s.ops.lock(names)
}
