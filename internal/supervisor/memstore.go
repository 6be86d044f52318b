package supervisor

import (
	"maps"
	"slices"
	"sync"

	"github.com/tend-pm/tend/internal/spec"
)

// memEvents bounds the events a MemStore keeps.
const memEvents = 1000

// MemStore keeps state in memory: for `tend run`, whose apps come from a
// file each time and must not touch the daemon's store, and for tests.
// It keeps the newest memEvents events.
type MemStore struct {
	mu       sync.Mutex // guards the fields below
	apps     map[string]spec.Record
	jobs     map[string]spec.JobState
	events   []spec.Event
	settings map[string][]byte
}

// PutApps implements Store.
func (m *MemStore) PutApps(recs ...spec.Record) error {
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

// Update implements Store.
func (m *MemStore) Update(puts []spec.Record, deletes []string) error {
	if err := m.PutApps(puts...); err != nil {
		return err
	}
	return m.DeleteApps(deletes...)
}

// DeleteApps implements Store.
func (m *MemStore) DeleteApps(names ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range names {
		delete(m.apps, n)
		delete(m.jobs, n)
	}
	return nil
}

// PutJob implements Store.
func (m *MemStore) PutJob(name string, j spec.JobState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.jobs == nil {
		m.jobs = map[string]spec.JobState{}
	}
	j.Runs = slices.Clone(j.Runs)
	m.jobs[name] = j
	return nil
}

// PutSetting implements Store.
func (m *MemStore) PutSetting(name string, v []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.settings == nil {
		m.settings = map[string][]byte{}
	}
	if v == nil {
		delete(m.settings, name)
	} else {
		m.settings[name] = slices.Clone(v)
	}
	return nil
}

// Setting implements Store.
func (m *MemStore) Setting(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.settings[name]), nil
}

// Jobs implements Store.
func (m *MemStore) Jobs() (map[string]spec.JobState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.jobs), nil
}

// Apps implements Store.
func (m *MemStore) Apps() ([]spec.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]spec.Record, 0, len(m.apps))
	for _, r := range m.apps {
		out = append(out, r)
	}
	return out, nil
}

// AddEvent implements Store.
func (m *MemStore) AddEvent(e spec.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.events) >= memEvents {
		m.events = append(m.events[:0], m.events[len(m.events)-memEvents/2:]...)
	}
	m.events = append(m.events, e)
}

// Events returns the kept events of app, oldest first.
func (m *MemStore) Events(app string) []spec.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []spec.Event
	for _, e := range m.events {
		if e.App == app {
			out = append(out, e)
		}
	}
	return out
}

// Record returns the stored record of app.
func (m *MemStore) Record(app string) (spec.Record, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.apps[app]
	return r, ok
}
