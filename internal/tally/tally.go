// Package tally keeps counts in small files mapped into memory. Setting
// one is a store to memory, cheap enough for every task a pool takes, and
// it outlives the process: what a killed process wrote to a shared
// mapping is in the kernel's page cache, the file's, for the next process
// to read. A crash of the machine keeps what was last synced.
package tally

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// size is a count's file: one uint64, native order (the file is read
// back only on the machine that wrote it).
const size = 8

// ext ends a count's file name; Left reads no other file.
const ext = ".count"

// Count is one count, kept in a file of its own.
type Count struct {
	path string
	f    *os.File
	mem  []byte
	n    *atomic.Uint64 // mem's, page-aligned: Set and Sync may race

	mu     sync.Mutex // Sync's and Remove's
	synced uint64
}

// Open makes (or empties) the count named name in dir, at 0.
func Open(dir, name string) (*Count, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tally %s: %w", name, err)
	}
	path := filepath.Join(dir, name+ext)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("tally %s: %w", name, err)
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, fmt.Errorf("tally %s: %w", name, err)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tally %s: map: %w", name, err)
	}
	return &Count{path: path, f: f, mem: mem, n: (*atomic.Uint64)(unsafe.Pointer(&mem[0]))}, nil
}

// Set makes the count n.
func (c *Count) Set(n uint64) { c.n.Store(n) }

// Get is the count now.
func (c *Count) Get() uint64 { return c.n.Load() }

// Sync writes the count to the disk if it changed since the last Sync,
// for a machine that crashes; a process that dies needs none. After
// Remove it does nothing.
func (c *Count) Sync() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		return nil
	}
	n := c.Get()
	if n == c.synced {
		return nil
	}
	if err := unix.Msync(c.mem, unix.MS_SYNC); err != nil {
		return fmt.Errorf("tally %s: sync: %w", c.path, err)
	}
	c.synced = n
	return nil
}

// Remove ends the count and its file: nothing is left to report. No Set
// may come after it.
func (c *Count) Remove() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := unix.Munmap(c.mem)
	c.mem, c.n = nil, nil
	return errors.Join(err, c.f.Close(), os.Remove(c.path))
}

// Left reads the counts left in dir by an earlier process, by name, and
// removes their files; a count of 0 is not returned.
func Left(dir string) (map[string]uint64, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tally: %w", err)
	}
	var left map[string]uint64
	var errs []error
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ext)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err == nil && len(b) != size {
			err = fmt.Errorf("%d bytes, not %d", len(b), size)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("tally %s: %w", path, err))
		} else if n := binary.NativeEndian.Uint64(b); n > 0 {
			if left == nil {
				left = map[string]uint64{}
			}
			left[name] = n
		}
		if err := os.Remove(path); err != nil {
			errs = append(errs, fmt.Errorf("tally: %w", err))
		}
	}
	return left, errors.Join(errs...)
}
