package spec

import (
	"strings"
	"testing"
)

var parseSizeTests = []struct {
	in   string
	want Size
}{
	{"10M", 10 << 20},
	{"200MB", 200 << 20},
	{"1.5G", 3 << 29},
	{"512K", 512 << 10},
	{"512kb", 512 << 10},
	{"1GiB", 1 << 30},
	{"2T", 2 << 40},
	{"123", 123},
	{"123B", 123},
	{" 4 M ", 4 << 20},
	{"0", 0},
}

var parseSizeErrorTests = []struct{ in, want string }{
	{"", "invalid size"},
	{"M", "invalid size"},
	{"ten", "invalid size"},
	{"-1M", "invalid size"},
	{"10X", "invalid size"},
	{"99999999T", "too large"},
	{"NaN", "invalid size"},
}

func TestParseSize(t *testing.T) {
	for _, tt := range parseSizeTests {
		if got, err := ParseSize(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range parseSizeErrorTests {
		if _, err := ParseSize(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSize(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
	for in, want := range map[Size]string{10 << 20: "10M", 1536 << 10: "1536K", 123: "123", 0: "0", 3 << 40: "3T"} {
		if got := in.String(); got != want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(in), got, want)
		}
	}
}

// FuzzParseSize: no panic; what parses prints back to the same value.
func FuzzParseSize(f *testing.F) {
	for _, tt := range parseSizeTests {
		f.Add(tt.in)
	}
	for _, tt := range parseSizeErrorTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		z, err := ParseSize(s)
		if err != nil {
			return
		}
		if z < 0 {
			t.Fatalf("ParseSize(%q) = %d < 0", s, z)
		}
		back, err := ParseSize(z.String())
		if err != nil || back != z {
			t.Errorf("ParseSize(%q) = %d; String %q parses to %d, %v", s, z, z.String(), back, err)
		}
	})
}
