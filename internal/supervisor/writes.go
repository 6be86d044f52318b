package supervisor

import (
	"fmt"
	"slices"

	"github.com/tend-pm/tend/internal/spec"
)

// writes is where a command's store writes go: straight to the store (one
// transaction each), or into a batch that a compound command (apply, a
// reload of a file) commits once at its end, so that it writes one
// transaction, not one per app and step, and a daemon that dies midway
// leaves the store as before the command rather than half of it.
type writes interface {
	put(recs ...spec.Record) error
	del(names ...string) error
}

// direct writes to the store at once.
type direct struct{ st Store }

func (d direct) put(recs ...spec.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if err := d.st.PutApps(recs...); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (d direct) del(names ...string) error {
	if err := d.st.DeleteApps(names...); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// batch keeps the last write of each app until commit.
type batch struct {
	puts  map[string]spec.Record
	order []string // names in the order first written
	dels  []string
}

func (b *batch) put(recs ...spec.Record) error {
	if b.puts == nil {
		b.puts = map[string]spec.Record{}
	}
	for _, r := range recs {
		n := r.App.Name
		if _, ok := b.puts[n]; !ok {
			b.order = append(b.order, n)
		}
		b.puts[n] = r
		b.dels = slices.DeleteFunc(b.dels, func(d string) bool { return d == n })
	}
	return nil
}

func (b *batch) del(names ...string) error {
	for _, n := range names {
		if _, ok := b.puts[n]; ok {
			delete(b.puts, n)
			b.order = slices.DeleteFunc(b.order, func(o string) bool { return o == n })
		}
		if !slices.Contains(b.dels, n) {
			b.dels = append(b.dels, n)
		}
	}
	return nil
}

// commit writes the batch in one transaction.
func (b *batch) commit(st Store) error {
	recs := make([]spec.Record, 0, len(b.order))
	for _, n := range b.order {
		recs = append(recs, b.puts[n])
	}
	if len(recs) == 0 && len(b.dels) == 0 {
		return nil
	}
	if err := st.Update(recs, b.dels); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
