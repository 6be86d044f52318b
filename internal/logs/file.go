package logs

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// File appends lines to one log file. It is safe for concurrent use; the
// file is opened on first write and kept open.
type File struct {
	Path string

	mu     sync.Mutex // guards the fields below
	f      *os.File
	lost   int64 // lines not written since the last successful write
	lostAt time.Time
	total  int64 // lines lost over the life of this File
}

// WriteLine writes text and a newline. On failure the line is counted as
// lost; once writing works again a marker line says how many were lost.
// A File with no Path discards lines (tend run keeps no files).
func (f *File) WriteLine(text []byte) {
	if f.Path == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f == nil {
		if err := f.open(); err != nil {
			f.fail()
			return
		}
	}
	if f.lost > 0 {
		marker := fmt.Sprintf("[tend] %d lines lost: could not write %s since %s\n",
			f.lost, f.Path, f.lostAt.Format(time.RFC3339))
		if _, err := f.f.WriteString(marker); err != nil {
			f.fail()
			return
		}
		f.lost = 0
	}
	buf := make([]byte, 0, len(text)+1)
	buf = append(append(buf, text...), '\n')
	if _, err := f.f.Write(buf); err != nil {
		f.fail()
	}
}

func (f *File) fail() {
	if f.lost == 0 {
		f.lostAt = time.Now()
	}
	f.lost++
	f.total++
}

func (f *File) open() error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return err
	}
	h, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.f = h
	return nil
}

// Lost reports how many lines this File could not write in all.
func (f *File) Lost() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total
}

// Truncate empties the file (tend flush).
func (f *File) Truncate() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f != nil {
		return f.f.Truncate(0)
	}
	err := os.Truncate(f.Path, 0)
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// Close closes the file; a later write opens it again.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	return err
}
