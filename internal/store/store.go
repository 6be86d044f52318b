// Package store keeps tend's state in bbolt (TEND_HOME/state.db): every
// app's spec and desired state, and the events history. A command's change
// is one transaction, so a crash leaves the old or the new state, never a
// mix. Events are written in batches by one goroutine: losing the last few
// milliseconds of history in a crash is accepted, an fsync per state change
// is not.
package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tend-pm/tend/internal/spec"
)

var (
	bucketApps = []byte("apps")
	bucketJobs = []byte("jobs") // each job's history and last time dealt with
	// bucketSettings holds the daemon's own choices (what tend serve
	// opened), so that they survive its restart.
	bucketSettings = []byte("settings")
)

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
		for _, b := range [][]byte{bucketApps, bucketJobs, bucketAppEvents, bucketEventCounts, bucketSettings} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return migrateEvents(tx, time.Now())
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
			if err := tx.Bucket(bucketJobs).Delete([]byte(n)); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutJob writes the state of the job named name.
func (s *Store) PutJob(name string, j spec.JobState) error {
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketJobs).Put([]byte(name), v) })
}

// Jobs returns the stored state of every job. One that does not read is
// left out: a job without history runs on, it does not keep others from
// restoring.
func (s *Store) Jobs() (map[string]spec.JobState, error) {
	out := map[string]spec.JobState{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
			var j spec.JobState
			if json.Unmarshal(v, &j) == nil {
				out[string(k)] = j
			}
			return nil
		})
	})
	return out, err
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

// PutSetting stores the daemon's setting name (nil removes it).
func (s *Store) PutSetting(name string, v []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if v == nil {
			return tx.Bucket(bucketSettings).Delete([]byte(name))
		}
		return tx.Bucket(bucketSettings).Put([]byte(name), v)
	})
}

// Setting returns the daemon's setting name, or nil.
func (s *Store) Setting(name string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket(bucketSettings).Get([]byte(name)))
		return nil
	})
	return out, err
}
