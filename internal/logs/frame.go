package logs

import (
	"bufio"
	"errors"
	"io"
)

// MaxLine is the longest line kept whole; longer ones are split.
const MaxLine = 64 << 10

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
	br := bufio.NewReaderSize(r, MaxLine)
	for {
		if idle != nil && br.Buffered() == 0 {
			idle()
		}
		b, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			emit(Line{Text: b[:len(b)-1]})
		case errors.Is(err, bufio.ErrBufferFull):
			emit(Line{Text: b, Split: true})
		case len(b) > 0:
			emit(Line{Text: b})
			fallthrough
		default:
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
				return nil
			}
			return err
		}
	}
}
