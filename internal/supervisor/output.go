package supervisor

import (
	"os"
	"sync"
	"time"

	"github.com/tend-pm/tend/internal/logs"
)

// pump reads a run's stdout and stderr, one goroutine per pipe, and
// returns a channel closed when both reached EOF.
func (in *instance) pump(outR, errR *os.File) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go in.drain(&wg, outR, "out", in.out)
	go in.drain(&wg, errR, "err", in.err)
	go func() { wg.Wait(); close(done) }()
	return done
}

func (in *instance) drain(wg *sync.WaitGroup, r *os.File, stream string, f *logs.File) {
	defer wg.Done()
	defer r.Close()
	err := logs.Frame(r, func(l logs.Line) {
		f.WriteLine(l.Text)
		text := string(l.Text)
		if stream == "err" {
			in.ring.Add(text)
		}
		e := logs.Entry{Time: time.Now(), App: in.name, Instance: in.id, Stream: stream, Line: text}
		in.sup.hub.Publish(e)
		if in.sup.echo != nil {
			in.sup.echo(e)
		}
	})
	if err != nil {
		in.log.Warn("read output", "stream", stream, "err", err)
	}
}
