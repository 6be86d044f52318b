package logs

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"strings"
	"time"
)

// Record is one line read back from a log file.
type Record struct {
	Time time.Time // zero when the line carries no timestamp
	Line string
	// Instance is the writer of a JSON line (it says); -1 for a plain
	// line, which does not.
	Instance int
}

// Parse reads back one line written with f.
func (f Format) Parse(raw string) Record {
	if f.JSON {
		e := struct {
			TS       time.Time `json:"ts"`
			Line     string    `json:"line"`
			Instance int       `json:"instance"`
		}{Instance: -1}
		if json.Unmarshal([]byte(raw), &e) == nil {
			return Record{Time: e.TS, Line: e.Line, Instance: e.Instance}
		}
		return Record{Line: raw, Instance: -1}
	}
	if f.Time {
		layout := f.Layout
		if layout == "" {
			layout = DefaultTimeLayout
		}
		// The timestamp is as long as its layout makes it, give or take
		// the zone and names; try the layout's own length first.
		n := strings.Count(layout, " ") + 1
		parts := strings.SplitN(raw, " ", n+1)
		if len(parts) == n+1 {
			if t, err := time.Parse(layout, strings.Join(parts[:n], " ")); err == nil {
				return Record{Time: t, Line: parts[n], Instance: -1}
			}
		}
	}
	return Record{Line: raw}
}

// ReadLast returns up to n of the newest records of the log at path and
// its rotated files (gzipped ones too) that keep accepts, oldest first.
func ReadLast(path string, f Format, n int, keep func(Record) bool) ([]Record, error) {
	if n <= 0 {
		return nil, nil
	}
	files := append(Rotated(path), path)
	var out []Record
	for i := len(files) - 1; i >= 0 && len(out) < n; i-- {
		recs, err := readFile(files[i], f, keep)
		if err != nil {
			return nil, err
		}
		if len(recs) > n-len(out) {
			recs = recs[len(recs)-(n-len(out)):]
		}
		out = append(recs, out...)
	}
	return out, nil
}

func readFile(path string, f Format, keep func(Record) bool) ([]Record, error) {
	fh, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var r io.Reader = fh
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(fh)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var out []Record
	for sc.Scan() {
		rec := f.Parse(sc.Text())
		if keep == nil || keep(rec) {
			out = append(out, rec)
		}
	}
	return out, sc.Err()
}
