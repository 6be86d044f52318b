package logs

import (
	"fmt"
	"sync"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

// Pool holds one Writer per log file, shared by every instance that
// writes there (merge_logs, a shared out_file). The zero Pool is ready.
type Pool struct {
	// OnLoss, when set, hears that the writer of path, first opened for
	// instance id of app, could not keep lines: lost of them (0: the
	// first failure, err says why; the count follows).
	OnLoss func(app string, id int, path string, lost int64, err error)

	mu      sync.Mutex
	writers map[string]*Writer // by path
}

// Writer returns the one Writer of path with app's rotation (set again
// when another app or a new spec takes it). The Writer of path "" is
// new each time and writes nowhere but to its followers.
func (p *Pool) Writer(path string, app *spec.App, id int) *Writer {
	p.mu.Lock()
	defer p.mu.Unlock()
	rot := Rotation{MaxSize: int64(app.LogMaxSize), MaxFiles: app.LogMaxFiles, Compress: app.LogCompress}
	if w, ok := p.writers[path]; ok {
		w.SetRotation(rot)
		return w
	}
	w := &Writer{Path: path, Rotation: rot}
	if p.OnLoss != nil {
		name, onLoss := app.Name, p.OnLoss
		w.OnLoss = func(lost int64, err error) { onLoss(name, id, path, lost, err) }
	}
	if path != "" {
		if p.writers == nil {
			p.writers = map[string]*Writer{}
		}
		p.writers[path] = w
	}
	return w
}

// Reopen reopens every file (tend reload-logs, SIGUSR1), for a rotation
// done by another program; it returns the first error.
func (p *Pool) Reopen() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first error
	for _, w := range p.writers {
		if err := w.Reopen(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Close flushes and closes every file at once, giving up after timeout
// on those still blocked (a stalled disk must not keep the daemon from
// exiting; their lines were never acknowledged to anyone).
func (p *Pool) Close(timeout time.Duration) error {
	p.mu.Lock()
	ws := p.writers
	p.writers = nil
	p.mu.Unlock()
	done := make(chan struct{}, len(ws))
	for _, w := range ws {
		go func() { w.Close(); done <- struct{}{} }()
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for n := range len(ws) {
		select {
		case <-done:
		case <-t.C:
			return fmt.Errorf("%d of %d log files still blocked after %s", len(ws)-n, len(ws), timeout)
		}
	}
	return nil
}
