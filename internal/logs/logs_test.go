package logs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func frame(t *testing.T, in string) []Line {
	t.Helper()
	var out []Line
	err := Frame(strings.NewReader(in), func(l Line) {
		out = append(out, Line{Text: bytes.Clone(l.Text), Split: l.Split})
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFrame(t *testing.T) {
	got := frame(t, "a\nbb\n\nlast without newline")
	want := []string{"a", "bb", "", "last without newline"}
	if len(got) != len(want) {
		t.Fatalf("Frame gave %d lines, want %q", len(got), want)
	}
	for i := range want {
		if string(got[i].Text) != want[i] || got[i].Split {
			t.Errorf("line %d = %q (split %v), want %q", i, got[i].Text, got[i].Split, want[i])
		}
	}
}

func TestFrameSplitsLongLines(t *testing.T) {
	long := strings.Repeat("x", 2*MaxLine+10)
	got := frame(t, long+"\nnext\n")
	if len(got) != 4 {
		t.Fatalf("Frame gave %d lines, want 4 (3 pieces and next)", len(got))
	}
	var joined []byte
	for i, l := range got[:3] {
		if l.Split != (i < 2) {
			t.Errorf("piece %d split=%v", i, l.Split)
		}
		joined = append(joined, l.Text...)
	}
	if string(joined) != long || string(got[3].Text) != "next" {
		t.Error("pieces do not join back to the line")
	}
}

func FuzzFrame(f *testing.F) {
	f.Add("a\nb\n")
	f.Add("no newline")
	f.Add("\n\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		Frame(strings.NewReader(s), func(l Line) {
			b.Write(l.Text)
			if !l.Split {
				b.WriteByte('\n')
			}
		}, nil)
		// Every byte comes back, and only a missing final newline is added.
		if got := b.String(); got != s && got != s+"\n" {
			t.Errorf("Frame(%q) rebuilt %q", s, got)
		}
	})
}

func TestTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.log")
	var b strings.Builder
	for i := range 100000 {
		b.WriteString(strings.Repeat("y", i%50) + "\n")
	}
	os.WriteFile(p, []byte(b.String()), 0o600)
	got, err := Tail(p, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{strings.Repeat("y", 47), strings.Repeat("y", 48), strings.Repeat("y", 49)}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Tail = %q, want %q", got, want)
	}
	if got, err := Tail(filepath.Join(t.TempDir(), "missing"), 5); err != nil || got != nil {
		t.Errorf("Tail(missing) = %q, %v", got, err)
	}
}

// TestWriterCountsLostLines: lines that cannot be written are counted,
// and the next successful write says how many were lost.
func TestWriterCountsLostLines(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "logs")
	os.WriteFile(blocker, nil, 0o600) // a file where the directory should be
	w := &Writer{Path: filepath.Join(blocker, "a.log")}
	w.WriteLine([]byte("one"))
	w.WriteLine([]byte("two"))
	if w.Lost() != 2 {
		t.Fatalf("Lost = %d, want 2", w.Lost())
	}
	os.Remove(blocker)
	w.WriteLine([]byte("three"))
	w.Close()
	b, _ := os.ReadFile(w.Path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "[tend] 2 lines lost") || lines[1] != "three" {
		t.Errorf("file = %q", lines)
	}
}

func TestRing(t *testing.T) {
	r := NewRing(3)
	for _, s := range []string{"a", "b", "c", "d"} {
		r.Add(s)
	}
	if got := strings.Join(r.Last(10), ""); got != "bcd" {
		t.Errorf("Last(10) = %q, want bcd", got)
	}
	if got := strings.Join(r.Last(2), ""); got != "cd" {
		t.Errorf("Last(2) = %q, want cd", got)
	}
	r.Reset()
	if got := r.Last(3); len(got) != 0 {
		t.Errorf("after Reset: %q", got)
	}
}

// TestRotatedOrder: files rotated within one millisecond sort in the order
// they were made.
func TestRotatedOrder(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 26, 1, 2, 3, 456e6, time.UTC)
	w := &Writer{Path: filepath.Join(dir, "a.log"), Rotation: Rotation{MaxSize: 10, MaxFiles: 100}, Now: func() time.Time { return at }}
	for i := range 13 {
		w.WriteLine([]byte(fmt.Sprintf("line %02d", i)))
		w.Flush()
	}
	w.Close()
	var got []string
	for _, p := range append(Rotated(w.Path), w.Path) {
		b, _ := os.ReadFile(p)
		got = append(got, strings.TrimSpace(string(b)))
	}
	for i, g := range got {
		if want := fmt.Sprintf("line %02d", i); g != want {
			t.Fatalf("file %d holds %q, want %q (files %q)", i, g, want, Rotated(w.Path))
		}
	}
}

// TestJSONLineIsEncodingJSON: the hand-written JSON line decodes to the
// same entry as encoding/json reads it, for awkward text.
func TestJSONLineIsEncodingJSON(t *testing.T) {
	f := Format{JSON: true}
	at := time.Date(2026, 11, 26, 1, 2, 3, 456789000, time.UTC)
	for _, text := range []string{"plain", `q"uote \back`, "tab\tnl\nctl\x01<&>", "é日本\u2028", "bad\xffutf8"} {
		b := f.Append(nil, Entry{Time: at, App: "a\"pp", Instance: 3, Stream: "err", Line: text})
		var got struct {
			TS       time.Time `json:"ts"`
			App      string    `json:"app"`
			Instance int       `json:"instance"`
			Stream   string    `json:"stream"`
			Line     string    `json:"line"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		want := strings.ToValidUTF8(text, "\ufffd")
		if got.Line != want || !got.TS.Equal(at) || got.App != "a\"pp" || got.Instance != 3 || got.Stream != "err" {
			t.Errorf("%q decoded to %+v", b, got)
		}
		if rec := f.Parse(string(b)); rec.Line != want || !rec.Time.Equal(at) {
			t.Errorf("Parse(%q) = %+v", b, rec)
		}
	}
}

func TestDayjsLayout(t *testing.T) {
	at := time.Date(2026, 3, 7, 14, 5, 9, 123456789, time.FixedZone("", 2*3600))
	tests := map[string]string{
		"YYYY-MM-DD HH:mm:ss.SSS Z": "2026-03-07 14:05:09.123 +02:00",
		"YYYY-MM-DD HH:mm:ss":       "2026-03-07 14:05:09",
		"DD/MM/YY h:mm A ZZ":        "07/03/26 2:05 PM +0200",
		"[at] HH:mm":                "at 14:05",
		"ddd, MMM D":                "Sat, Mar 7",
	}
	for in, want := range tests {
		if got := at.Format(DayjsLayout(in)); got != want {
			t.Errorf("DayjsLayout(%q) formats %q, want %q", in, got, want)
		}
		// What is written with a custom format reads back.
		f := Format{Time: true, Layout: DayjsLayout(in)}
		line := f.Append(nil, Entry{Time: at, Line: "hello there"})
		if rec := f.Parse(string(line)); rec.Line != "hello there" || rec.Time.IsZero() {
			t.Errorf("%q: Parse(%q) = %+v", in, line, rec)
		}
	}
}

// A file that ends inside a line (a daemon killed between the two writes
// of a line that straddled its buffer) gets a newline before the next
// line, so the two are not glued.
func TestWriterEndsATornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(path, []byte("whole\ntor"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := &Writer{Path: path}
	w.WriteLine([]byte("next"))
	w.Close()
	b, _ := os.ReadFile(path)
	if string(b) != "whole\ntor\nnext\n" {
		t.Errorf("file holds %q; want the torn line ended before the next", b)
	}
}
