package logs

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

var benchLine = []byte("L0000000001 " + strings.Repeat("x", 88))

func benchmarkFormat(b *testing.B, f Format) {
	e := Entry{Time: time.Now(), App: "burst", Stream: "out"}
	stamp := f.Stamp(nil, e.Time)
	sf := f.ForStream(e.App, e.Instance, e.Stream)
	var dst []byte
	b.SetBytes(int64(len(benchLine)))
	for b.Loop() {
		dst = sf.Append(dst[:0], stamp, benchLine)
	}
}

func BenchmarkFormatPlain(b *testing.B) { benchmarkFormat(b, Format{}) }
func BenchmarkFormatTime(b *testing.B)  { benchmarkFormat(b, Format{Time: true}) }
func BenchmarkFormatJSON(b *testing.B)  { benchmarkFormat(b, Format{JSON: true}) }

// BenchmarkFrame measures framing 100-byte lines from a reader.
func BenchmarkFrame(b *testing.B) {
	data := bytes.Repeat(append(benchLine, '\n'), 10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		n := 0
		Frame(bytes.NewReader(data), func(Line) { n++ }, nil)
	}
}

// BenchmarkWriter measures WriteLine into a discarding file.
func BenchmarkWriter(b *testing.B) {
	w := &Writer{Path: b.TempDir() + "/w.log"}
	defer w.Close()
	b.SetBytes(int64(len(benchLine) + 1))
	for b.Loop() {
		w.WriteLine(benchLine)
	}
}
