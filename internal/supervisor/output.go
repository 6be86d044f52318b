package supervisor

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/tend-pm/tend/internal/crash"
	"github.com/tend-pm/tend/internal/logs"
	"github.com/tend-pm/tend/internal/spec"
)

// splitMark ends every piece of an over-long line but the last.
const splitMark = " [tend: line continues]"

// closeWritersTimeout bounds the flush of the log files at shutdown.
const closeWritersTimeout = 5 * time.Second

// ReopenLogs reopens every log file (tend reload-logs, SIGUSR1).
func (s *Supervisor) ReopenLogs() error { return s.writers.Reopen() }

// lostLines records that a log file could not keep lines.
func (s *Supervisor) lostLines(app string, id int, path string, lost int64, err error) {
	e := spec.Event{Time: time.Now(), App: app, Instance: id}
	if lost == 0 {
		e.Reason = fmt.Sprintf("cannot write %s: %v; counting the lines lost", path, err)
	} else {
		e.Reason = fmt.Sprintf("%d lines could not be written to %s; a marker line in the file says so", lost, path)
	}
	s.record(e)
}

// pump reads a run's stdout, stderr and IPC channel, one goroutine each,
// and returns a channel closed when both pipes reached EOF.
func (in *instance) pump(r *run) <-chan struct{} {
	done := make(chan struct{})
	f := logs.FormatOf(in.app)
	// The last reader to reach EOF closes done: no goroutine waits for
	// them (one fewer per instance).
	left := new(atomic.Int32)
	left.Store(2)
	end := func() {
		if left.Add(-1) == 0 {
			close(done)
		}
	}
	go in.drain(end, r, r.pipes[0], "out", in.out, f, &in.lines[0])
	go in.drain(end, r, r.pipes[1], "err", in.err, f, &in.lines[1])
	if r.conn != nil {
		r.chanRead = make(chan struct{})
		go in.readChannel(r)
	}
	return done
}

func (in *instance) drain(end func(), rn *run, r *os.File, stream string, w *logs.Writer, f logs.Format, lines *atomic.Int64) {
	defer crash.Guard(in.log, "output "+stream)
	defer end()
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
		lines.Add(1)
		if re := rn.readyLine.Load(); re != nil && re.Match(text) && rn.readyLine.CompareAndSwap(re, nil) {
			in.tell(appSignal{r: rn, kind: sigReady, from: "log"})
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
