package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/logs"
	"github.com/tend-pm/tend/internal/proc"
	"github.com/tend-pm/tend/internal/spec"
)

// splitMark ends every piece of an over-long line but the last.
const splitMark = " [tend: line continues]"

// logPaths are the files of instance id of app: out_file and error_file
// when set (with -<id> added for several instances that do not merge),
// else TEND_HOME/logs/<app>-<id>-out.log, or <app>-out.log with merge_logs.
func (s *Supervisor) logPaths(app *spec.App, id int) (out, errp string) {
	return s.logPath(app, id, "out", app.OutFile), s.logPath(app, id, "err", app.ErrorFile)
}

func (s *Supervisor) logPath(app *spec.App, id int, stream, set string) string {
	if set != "" {
		if app.MergeLogs || app.Instances <= 1 {
			return set
		}
		ext := filepath.Ext(set)
		return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(set, ext), id, ext)
	}
	if s.home == "" {
		return "" // tend run: no files, output goes to Echo only
	}
	if app.MergeLogs {
		return filepath.Join(s.home, "logs", fmt.Sprintf("%s-%s.log", app.Name, stream))
	}
	return filepath.Join(s.home, "logs", fmt.Sprintf("%s-%d-%s.log", app.Name, id, stream))
}

// writer returns the one Writer of path, shared by every instance that
// writes there (merge_logs), with app's rotation.
func (s *Supervisor) writer(path string, app *spec.App, id int) *logs.Writer {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	rot := logs.Rotation{MaxSize: int64(app.LogMaxSize), MaxFiles: app.LogMaxFiles, Compress: app.LogCompress}
	if w, ok := s.writers[path]; ok {
		w.SetRotation(rot)
		return w
	}
	w := &logs.Writer{Path: path, Rotation: rot}
	w.OnLoss = func(lost int64, err error) {
		e := spec.Event{Time: time.Now(), App: app.Name, Instance: id}
		if lost == 0 {
			e.Reason = fmt.Sprintf("cannot write %s: %v; counting the lines lost", path, err)
		} else {
			e.Reason = fmt.Sprintf("%d lines could not be written to %s; a marker line in the file says so", lost, path)
		}
		s.record(e)
	}
	if path != "" {
		s.writers[path] = w
	}
	return w
}

// ReopenLogs reopens every log file (tend reload-logs, SIGUSR1).
func (s *Supervisor) ReopenLogs() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var first error
	for _, w := range s.writers {
		if err := w.Reopen(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// closeWritersTimeout bounds the flush of the log files at shutdown: a
// writer stuck on a stalled disk must not keep the daemon from exiting.
const closeWritersTimeout = 5 * time.Second

// closeWriters flushes and closes every log file, giving up on those
// still blocked after closeWritersTimeout (their lines were never
// acknowledged to anyone; the count of what the disk refused stands).
func (s *Supervisor) closeWriters() {
	s.wmu.Lock()
	ws := s.writers
	s.writers = map[string]*logs.Writer{}
	s.wmu.Unlock()
	done := make(chan struct{}, len(ws))
	for _, w := range ws {
		go func() { w.Close(); done <- struct{}{} }()
	}
	timeout := time.NewTimer(closeWritersTimeout)
	defer timeout.Stop()
	for range ws {
		select {
		case <-done:
		case <-timeout.C:
			s.log.Error("log files still blocked at shutdown; giving up on them", "timeout", closeWritersTimeout)
			return
		}
	}
}

// pump reads a run's stdout and stderr, one goroutine per pipe, and
// returns a channel closed when both reached EOF.
func (in *instance) pump(p *proc.Process, outR, errR *os.File) <-chan struct{} {
	done := make(chan struct{})
	f := logs.FormatOf(in.app)
	var wg sync.WaitGroup
	wg.Add(2)
	go in.drain(&wg, p, outR, "out", in.out, f)
	go in.drain(&wg, p, errR, "err", in.err, f)
	go func() { wg.Wait(); close(done) }()
	return done
}

func (in *instance) drain(wg *sync.WaitGroup, p *proc.Process, r *os.File, stream string, w *logs.Writer, f logs.Format) {
	defer crash.Guard(in.log, "output "+stream)
	defer wg.Done()
	defer r.Close()
	var (
		buf, stamp []byte
		now        time.Time
		fresh      = true // the next line starts a new read: take the time
		sf         = f.ForStream(in.name, in.id, stream)
	)
	err := logs.Frame(r, func(l logs.Line) {
		if fresh {
			// Lines of one read arrived together and share a time.
			now, fresh = time.Now(), false
			stamp = f.Stamp(stamp[:0], now)
		}
		text := l.Text
		if l.Split {
			text = append(text, splitMark...)
		}
		buf = sf.Append(buf[:0], stamp, text)
		w.WriteLine(buf)
		if re := in.readyLine.Load(); re != nil && re.Match(text) && in.readyLine.CompareAndSwap(re, nil) {
			in.tell(appSignal{p: p, kind: sigReady, from: "log"})
		}
		if stream == "err" || in.sup.hub.Active() || in.sup.echo != nil {
			e := logs.Entry{Time: now, App: in.name, Instance: in.id, Stream: stream, Line: string(text)}
			if stream == "err" {
				in.ring.Add(e.Line)
			}
			in.sup.hub.Publish(e)
			if in.sup.echo != nil {
				in.sup.echo(e)
			}
		}
	}, func() {
		w.Flush()
		fresh = true
	})
	w.Flush()
	if err != nil {
		in.log.Warn("read output", "stream", stream, "err", err)
	}
}
