package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tend-pm/tend/internal/spec"
)

// Events are kept per app, so that one app restarting a hundred times a
// second never pushes another app's history out: each app keeps its last
// KeepPerApp events and every event of the last KeepFor, whichever is
// more, and never more than MaxPerApp (the bound on what a crash loop
// can write to the disk). An app deleted from the store keeps its events
// until they are KeepFor old, for a post-mortem.
const (
	KeepPerApp = 1000
	KeepFor    = 7 * 24 * time.Hour
	MaxPerApp  = 100_000
)

var (
	// bucketAppEvents holds a bucket per app whose keys are the global
	// sequence (8 bytes, big endian), so each app's events are in order
	// and all of them merge by key.
	bucketAppEvents = []byte("appevents")
	// bucketEventCounts holds each app's number of events (uint64), so a
	// trim need not count them.
	bucketEventCounts = []byte("eventcounts")
	// bucketOldEvents is the single log of older builds, read once into
	// the per-app buckets and removed.
	bucketOldEvents = []byte("events")
)

// appKey names app's bucket; an event of no app (the daemon's own) has
// one of its own.
func appKey(app string) []byte {
	if app == "" {
		return []byte{0}
	}
	return []byte(app)
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
	_ = s.db.Update(func(tx *bolt.Tx) error { return putEvents(tx, evs, time.Now()) })
}

// putEvents appends evs to their apps' buckets and trims each app
// touched, at now.
func putEvents(tx *bolt.Tx, evs []spec.Event, now time.Time) error {
	root := tx.Bucket(bucketAppEvents)
	touched := map[string]int{}
	for _, e := range evs {
		if e.Seq == 0 {
			e.Seq, _ = root.NextSequence()
		}
		b, err := root.CreateBucketIfNotExists(appKey(e.App))
		if err != nil {
			return err
		}
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := b.Put(key(e.Seq), v); err != nil {
			return err
		}
		touched[e.App]++
	}
	for app, added := range touched {
		if err := trimApp(tx, app, uint64(added), now); err != nil {
			return err
		}
	}
	return nil
}

// trimApp adds added to app's count, then deletes its oldest events while
// it keeps more than KeepPerApp and the oldest is over KeepFor old, or
// while it keeps more than MaxPerApp.
func trimApp(tx *bolt.Tx, app string, added uint64, now time.Time) error {
	counts := tx.Bucket(bucketEventCounts)
	k := appKey(app)
	n := added
	if v := counts.Get(k); len(v) == 8 {
		n += binary.BigEndian.Uint64(v)
	}
	b := tx.Bucket(bucketAppEvents).Bucket(k)
	cutoff := now.Add(-KeepFor)
	c := b.Cursor()
	for key, v := c.First(); key != nil && n > KeepPerApp; key, v = c.First() {
		if n <= MaxPerApp {
			var e struct {
				Time time.Time `json:"time"`
			}
			if json.Unmarshal(v, &e) == nil && e.Time.After(cutoff) {
				break // recent: kept
			}
		}
		if err := c.Delete(); err != nil {
			return err
		}
		n--
	}
	return counts.Put(k, key8(n))
}

func key8(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

func key(seq uint64) []byte { return key8(seq) }

// migrateEvents moves the single log of older builds into the per-app
// buckets (their sequence numbers kept), and drops the buckets of apps
// no longer stored whose newest event is over KeepFor old.
func migrateEvents(tx *bolt.Tx, now time.Time) error {
	root := tx.Bucket(bucketAppEvents)
	if old := tx.Bucket(bucketOldEvents); old != nil {
		var evs []spec.Event
		last := old.Sequence()
		err := old.ForEach(func(k, v []byte) error {
			var e spec.Event
			if json.Unmarshal(v, &e) == nil {
				e.Seq = binary.BigEndian.Uint64(k)
				evs = append(evs, e)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := root.SetSequence(max(root.Sequence(), last)); err != nil {
			return err
		}
		if err := putEvents(tx, evs, now); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketOldEvents); err != nil {
			return err
		}
	}
	apps := tx.Bucket(bucketApps)
	var gone [][]byte
	err := root.ForEachBucket(func(k []byte) error {
		if bytes.Equal(k, appKey("")) || apps.Get(k) != nil {
			return nil
		}
		_, v := root.Bucket(k).Cursor().Last()
		var e struct {
			Time time.Time `json:"time"`
		}
		if v == nil || (json.Unmarshal(v, &e) == nil && e.Time.Before(now.Add(-KeepFor))) {
			gone = append(gone, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range gone {
		if err := root.DeleteBucket(k); err != nil {
			return err
		}
		if err := tx.Bucket(bucketEventCounts).Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Events returns up to n of the newest events, oldest first, of app (""
// for all, merged in their order), after flushing what is queued.
func (s *Store) Events(app string, n int) ([]spec.Event, error) {
	return s.EventsSince(app, n, time.Time{})
}

// EventsSince is Events without those before since (zero: none left out).
func (s *Store) EventsSince(app string, n int, since time.Time) ([]spec.Event, error) {
	s.flush()
	var out []spec.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketAppEvents)
		var cursors []*bolt.Cursor
		if app != "" {
			if b := root.Bucket(appKey(app)); b != nil {
				cursors = append(cursors, b.Cursor())
			}
		} else {
			root.ForEachBucket(func(k []byte) error {
				cursors = append(cursors, root.Bucket(k).Cursor())
				return nil
			})
		}
		// Each cursor's newest first; take the newest of the heads.
		type head struct{ k, v []byte }
		heads := make([]head, len(cursors))
		for i, c := range cursors {
			heads[i].k, heads[i].v = c.Last()
		}
		for len(out) < n {
			best := -1
			for i, h := range heads {
				if h.k != nil && (best < 0 || bytes.Compare(h.k, heads[best].k) > 0) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			var e spec.Event
			if err := json.Unmarshal(heads[best].v, &e); err != nil {
				return errors.Join(fmt.Errorf("event %d", binary.BigEndian.Uint64(heads[best].k)), err)
			}
			if !since.IsZero() && e.Time.Before(since) {
				heads[best].k = nil // this app's older ones are older still
				continue
			}
			out = append(out, e)
			heads[best].k, heads[best].v = cursors[best].Prev()
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}
