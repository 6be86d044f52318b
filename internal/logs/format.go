package logs

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tend-pm/tend/internal/spec"
)

// DefaultTimeLayout prefixes plain lines when no log_date_format is set.
const DefaultTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Format says how a line is written to a file.
type Format struct {
	JSON bool // one JSON object per line: ts, app, instance, stream, line
	Time bool // plain lines start with a timestamp and a space
	// Layout is the Go layout of that timestamp (DefaultTimeLayout if "").
	Layout string
}

// Append appends e as one line (without the newline) to dst.
func (f Format) Append(dst []byte, e Entry) []byte {
	return f.ForStream(e.App, e.Instance, e.Stream).Append(dst, f.Stamp(nil, e.Time), []byte(e.Line))
}

// Stamp appends the time as Append writes it; lines that share a time
// can share one stamp (formatting a time per line costs more than the
// rest of the line).
func (f Format) Stamp(dst []byte, t time.Time) []byte {
	switch {
	case f.JSON:
		return t.AppendFormat(dst, time.RFC3339Nano)
	case f.Time:
		layout := f.Layout
		if layout == "" {
			layout = DefaultTimeLayout
		}
		return t.AppendFormat(dst, layout)
	}
	return dst
}

// StreamFormat is a Format bound to one stream of one instance: what
// does not change from line to line is encoded once.
type StreamFormat struct {
	f   Format
	mid []byte // JSON: `","app":"…","instance":N,"stream":"…","line":`
}

// ForStream binds f to a stream.
func (f Format) ForStream(app string, instance int, stream string) *StreamFormat {
	sf := &StreamFormat{f: f}
	if f.JSON {
		sf.mid = append(sf.mid, `","app":`...)
		sf.mid = appendJSONString(sf.mid, []byte(app))
		sf.mid = append(sf.mid, `,"instance":`...)
		sf.mid = strconv.AppendInt(sf.mid, int64(instance), 10)
		sf.mid = append(sf.mid, `,"stream":`...)
		sf.mid = appendJSONString(sf.mid, []byte(stream))
		sf.mid = append(sf.mid, `,"line":`...)
	}
	return sf
}

// Append appends one line stamped with stamp (from Format.Stamp).
func (sf *StreamFormat) Append(dst, stamp, line []byte) []byte {
	if sf.f.JSON {
		dst = append(dst, `{"ts":"`...)
		dst = append(dst, stamp...)
		dst = append(dst, sf.mid...)
		dst = appendJSONString(dst, line)
		return append(dst, '}')
	}
	if sf.f.Time {
		dst = append(dst, stamp...)
		dst = append(dst, ' ')
	}
	return append(dst, line...)
}

// safeJSON marks the ASCII bytes a JSON string holds as they are.
var safeJSON = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json writes it.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		// Copy the run of bytes that need no escaping in one go.
		j := i
		for j < len(s) && safeJSON[s[j]] {
			j++
		}
		dst = append(dst, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// FormatOf is how app's lines are written.
func FormatOf(app *spec.App) Format {
	f := Format{JSON: app.LogType == "json", Time: app.Timestamps()}
	if app.LogDateFormat != "" {
		f.Layout = DayjsLayout(app.LogDateFormat)
	}
	return f
}

// dayjs maps day.js format tokens (PM2's log_date_format) to Go layout
// elements, longest first.
var dayjs = []struct{ token, layout string }{
	{"YYYY", "2006"}, {"YY", "06"}, {"MMMM", "January"}, {"MMM", "Jan"}, {"MM", "01"}, {"M", "1"},
	{"DD", "02"}, {"D", "2"}, {"dddd", "Monday"}, {"ddd", "Mon"}, {"HH", "15"}, {"hh", "03"}, {"h", "3"},
	{"mm", "04"}, {"m", "4"}, {"ss", "05"}, {"s", "5"}, {"SSS", ".000"}, {"ZZ", "-0700"}, {"Z", "-07:00"},
	{"A", "PM"}, {"a", "pm"},
}

// DayjsLayout turns a day.js format such as "YYYY-MM-DD HH:mm:ss.SSS Z"
// into a Go time layout. Text in [brackets] is kept as is.
func DayjsLayout(format string) string {
	var b strings.Builder
	for i := 0; i < len(format); {
		if format[i] == '[' {
			if j := strings.IndexByte(format[i:], ']'); j > 0 {
				b.WriteString(format[i+1 : i+j])
				i += j + 1
				continue
			}
		}
		matched := false
		for _, t := range dayjs {
			if strings.HasPrefix(format[i:], t.token) {
				l := t.layout
				if t.token == "SSS" && b.Len() > 0 && strings.HasSuffix(b.String(), ".") {
					l = "000" // "ss.SSS": the dot is already there
				}
				b.WriteString(l)
				i += len(t.token)
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(format[i])
			i++
		}
	}
	return b.String()
}
