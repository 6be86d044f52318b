package logs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"

	"github.com/tend-pm/tend/internal/fdwait"
)

// MaxLine is the longest line kept whole; longer ones are split.
const MaxLine = 64 << 10

// readSize is how much Frame asks for at once while output flows: a pipe
// enlarged to match (see GrowPipe) gives a flood's lines in few, large
// reads.
const readSize = 1 << 20

// idleSize is the buffer of a pipe with a little output. A read that
// fills it takes a readSize buffer from the pool for as long as output
// flows; a read that leaves room (the pipe is drained) gives it back; and
// a pipe with nothing to read holds no buffer at all: it is waited on
// with fdwait. So a thousand quiet instances hold no read buffers (issue
// 10: the buffers of 300 apps' restarts held 600 MB; issue 11: 4 KiB per
// pipe was still 8 MB for 1,000 apps).
const idleSize = 4 << 10

var (
	bigBuffers   = sync.Pool{New: func() any { b := make([]byte, readSize); return &b }}
	smallBuffers = sync.Pool{New: func() any { b := make([]byte, idleSize); return &b }}
)

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
	f, _ := r.(*os.File) // waited on without a buffer, if it can be
	var small, big *[]byte
	var buf []byte
	defer func() {
		if small != nil {
			smallBuffers.Put(small)
		}
		if big != nil {
			bigBuffers.Put(big)
		}
	}()
	start, end := 0, 0 // buf[start:end] is read but not yet emitted
	for {
		if idle != nil {
			idle()
		}
		if start == end && big == nil && f != nil {
			// Nothing is held back: while the pipe is quiet, hold no
			// buffer either.
			if small != nil {
				smallBuffers.Put(small)
				small, buf = nil, nil
			}
			start, end = 0, 0
			if err := fdwait.Readable(f); errors.Is(err, os.ErrClosed) {
				return nil
			} else if err != nil {
				f = nil // not pollable: read it with a buffer held
			}
		}
		if small == nil {
			small = smallBuffers.Get().(*[]byte)
			buf = *small
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
			end = copy(*small, buf[start:end])
			start, buf = 0, *small
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
