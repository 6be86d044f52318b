package logs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
)

// MaxLine is the longest line kept whole; longer ones are split.
const MaxLine = 64 << 10

// readSize is how much Frame asks for at once while output flows: a pipe
// enlarged to match (see GrowPipe) gives a flood's lines in few, large
// reads.
const readSize = 1 << 20

// idleSize is the buffer of a quiet pipe. A read that fills it takes a
// readSize buffer from the pool for as long as output flows; a read that
// leaves room (the pipe is drained) gives it back. So a thousand idle
// instances hold kilobytes each, not a megabyte per pipe (issue 10: the
// buffers of 300 apps' restarts held 600 MB).
const idleSize = 4 << 10

var bigBuffers = sync.Pool{New: func() any { b := make([]byte, readSize); return &b }}

// Line is one framed line of output, without its newline.
type Line struct {
	Text []byte
	// Split is true for every piece of an over-long line but the last.
	Split bool
}

// Frame reads r until EOF or error and calls emit once per line. A final
// line without a newline is emitted too. The Text slice is only valid
// during the call. idle, if not nil, is called whenever everything read
// so far has been emitted and the next read may block: the moment to
// flush what emit buffered.
func Frame(r io.Reader, emit func(Line), idle func()) error {
	small := make([]byte, idleSize)
	buf := small
	var big *[]byte // taken while output flows
	defer func() {
		if big != nil {
			bigBuffers.Put(big)
		}
	}()
	start, end := 0, 0 // buf[start:end] is read but not yet emitted
	for {
		if idle != nil {
			idle()
		}
		if start > 0 { // keep the partial line at the front
			end = copy(buf, buf[start:end])
			start = 0
		}
		room := len(buf) - end
		n, err := r.Read(buf[end:])
		end += n
		switch {
		case big == nil && n == room && err == nil: // more is waiting
			big = bigBuffers.Get().(*[]byte)
			end = copy(*big, buf[start:end])
			start, buf = 0, *big
		case big != nil && n < room && end-start <= idleSize: // drained
			end = copy(small, buf[start:end])
			start, buf = 0, small
			bigBuffers.Put(big)
			big = nil
		}
		for {
			i := bytes.IndexByte(buf[start:end], '\n')
			if i < 0 {
				break
			}
			for i > MaxLine { // an over-long line: emit marked pieces
				emit(Line{Text: buf[start : start+MaxLine], Split: true})
				start += MaxLine
				i -= MaxLine
			}
			emit(Line{Text: buf[start : start+i]})
			start += i + 1
		}
		for end-start > MaxLine { // a long partial line: emit pieces now
			emit(Line{Text: buf[start : start+MaxLine], Split: true})
			start += MaxLine
		}
		if err != nil {
			if end > start {
				emit(Line{Text: buf[start:end]})
			}
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) || errors.Is(err, io.ErrClosedPipe) {
				return nil
			}
			return err
		}
	}
}
