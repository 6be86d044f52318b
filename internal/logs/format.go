package logs

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

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
	if f.JSON {
		dst = append(dst, `{"ts":"`...)
		dst = e.Time.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `","app":`...)
		dst = strconv.AppendQuote(dst, e.App)
		dst = append(dst, `,"instance":`...)
		dst = strconv.AppendInt(dst, int64(e.Instance), 10)
		dst = append(dst, `,"stream":"`...)
		dst = append(dst, e.Stream...)
		dst = append(dst, `","line":`...)
		b, _ := json.Marshal(e.Line) // valid JSON even for invalid UTF-8
		dst = append(dst, b...)
		return append(dst, '}')
	}
	if f.Time {
		layout := f.Layout
		if layout == "" {
			layout = DefaultTimeLayout
		}
		dst = e.Time.AppendFormat(dst, layout)
		dst = append(dst, ' ')
	}
	return append(dst, e.Line...)
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
