package supervisor

import (
	"sync"

	"github.com/tend-pm/tend/internal/spec"
)

// Store is what the supervisor needs of persistence. The daemon passes
// *store.Store; tests may pass a fake.
type Store interface {
	PutApps(recs ...spec.Record) error
	DeleteApps(names ...string) error
	// Update writes puts and deletes in one transaction.
	Update(puts []spec.Record, deletes []string) error
	Apps() ([]spec.Record, error)
	AddEvent(e spec.Event)
	// PutJob and Jobs keep each job's history and the last time of its
	// schedule it dealt with; deleting an app deletes its job's too.
	PutJob(name string, j spec.JobState) error
	Jobs() (map[string]spec.JobState, error)
	// PutSetting and Setting keep the daemon's own small facts (nil
	// deletes): here, how many tasks each pool holds.
	PutSetting(name string, v []byte) error
	Setting(name string) ([]byte, error)
}

// eventHub fans events out to followers (`events -f`); a slow follower
// misses events from its own feed only.
type eventHub struct {
	mu   sync.Mutex // guards subs
	subs map[chan spec.Event]struct{}
}

func (h *eventHub) subscribe() chan spec.Event {
	c := make(chan spec.Event, 256)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[chan spec.Event]struct{}{}
	}
	h.subs[c] = struct{}{}
	return c
}

func (h *eventHub) unsubscribe(c chan spec.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, c)
}

func (h *eventHub) publish(e spec.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		select {
		case c <- e:
		default:
		}
	}
}
