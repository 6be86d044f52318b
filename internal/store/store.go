// Package store keeps tend's state in bbolt (TEND_HOME/state.db): every
// app's spec and desired state, and the events history. A command's change
// is one transaction, so a crash leaves the old or the new state, never a
// mix. Events are written in batches by one goroutine: losing the last few
// milliseconds of history in a crash is accepted, an fsync per state change
// is not.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tend-pm/tend/internal/spec"
)

var (
	bucketApps   = []byte("apps")
	bucketEvents = []byte("events")
)

// MaxEvents bounds the history kept.
const MaxEvents uint64 = 20000

// Store is the open database.
type Store struct {
	db *bolt.DB

	flushMu sync.Mutex // serializes flushes, so events commit in order
	mu      sync.Mutex // guards pending
	pending []spec.Event
	kick    chan struct{}
	done    chan struct{}
	closed  chan struct{}
}

// Open opens (or creates) the database at path.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketApps, bucketEvents} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	s := &Store{db: db, kick: make(chan struct{}, 1), done: make(chan struct{}), closed: make(chan struct{})}
	go s.writeEvents()
	return s, nil
}

// Close flushes pending events and closes the database.
func (s *Store) Close() error {
	close(s.done)
	<-s.closed
	return s.db.Close()
}

// PutApps writes records in one transaction.
func (s *Store) PutApps(recs ...spec.Record) error { return s.Update(recs, nil) }

// DeleteApps removes apps in one transaction.
func (s *Store) DeleteApps(names ...string) error { return s.Update(nil, names) }

// Update writes puts and removes deletes in one transaction (one fsync):
// a command that changes several apps (apply) changes them together.
func (s *Store) Update(puts []spec.Record, deletes []string) error {
	if len(puts) == 0 && len(deletes) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketApps)
		for _, r := range puts {
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(r.App.Name), v); err != nil {
				return err
			}
		}
		for _, n := range deletes {
			if err := b.Delete([]byte(n)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Apps returns every stored app.
func (s *Store) Apps() ([]spec.Record, error) {
	var out []spec.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketApps).ForEach(func(k, v []byte) error {
			// An unreadable record must not keep the others from
			// restoring: it comes back marked, under its key.
			var r spec.Record
			if err := json.Unmarshal(v, &r); err != nil {
				r = spec.Record{Invalid: fmt.Sprintf("the stored record does not read: %v", err)}
			} else if r.App == nil {
				r.Invalid = "the stored record has no spec"
			}
			if r.Invalid != "" {
				r.App = &spec.App{Name: string(k)}
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// AddEvent queues e for the history.
func (s *Store) AddEvent(e spec.Event) {
	s.mu.Lock()
	s.pending = append(s.pending, e)
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Store) writeEvents() {
	defer close(s.closed)
	for {
		select {
		case <-s.kick:
			s.flush()
		case <-s.done:
			s.flush()
			return
		}
	}
}

func (s *Store) flush() {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	evs := s.pending
	s.pending = nil
	s.mu.Unlock()
	if len(evs) == 0 {
		return
	}
	// A failure here loses history, not state; the daemon logs the
	// database's health elsewhere, so it is not reported per event.
	_ = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		for _, e := range evs {
			seq, _ := b.NextSequence()
			e.Seq = seq
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := b.Put(key(seq), v); err != nil {
				return err
			}
		}
		return trim(b, MaxEvents)
	})
}

// trim deletes events older than the newest keep.
func trim(b *bolt.Bucket, keep uint64) error {
	last := b.Sequence()
	if last <= keep {
		return nil
	}
	c := b.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= last-keep; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func key(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// Events returns up to n of the newest events, oldest first, of app (""
// for all), after flushing what is queued.
func (s *Store) Events(app string, n int) ([]spec.Event, error) {
	s.flush()
	var out []spec.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			var e spec.Event
			if err := json.Unmarshal(v, &e); err != nil {
				return errors.Join(fmt.Errorf("event %d", binary.BigEndian.Uint64(k)), err)
			}
			if app == "" || e.App == app {
				out = append(out, e)
			}
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}
