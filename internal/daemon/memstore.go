package daemon

import (
	"sync"

	"github.com/tend-pm/tend/internal/spec"
)

// memStore keeps state in memory for `tend run`, whose apps come from a
// file each time and must not touch the daemon's store.
type memStore struct {
	mu   sync.Mutex // guards apps
	apps map[string]spec.Record
}

func (m *memStore) PutApps(recs ...spec.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.apps == nil {
		m.apps = map[string]spec.Record{}
	}
	for _, r := range recs {
		m.apps[r.App.Name] = r
	}
	return nil
}

func (m *memStore) DeleteApps(names ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range names {
		delete(m.apps, n)
	}
	return nil
}

func (m *memStore) Apps() ([]spec.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]spec.Record, 0, len(m.apps))
	for _, r := range m.apps {
		out = append(out, r)
	}
	return out, nil
}

func (m *memStore) AddEvent(spec.Event) {}
