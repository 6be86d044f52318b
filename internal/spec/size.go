package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Size is a number of bytes that reads "10M", "200MB", "1.5G", "512K",
// "1GiB" or a bare number of bytes. K, M, G and T are powers of 1024, as
// PM2 reads them; the B and iB suffixes are optional.
type Size int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"", 1},
}

// ParseSize parses s as described at Size.
func ParseSize(s string) (Size, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	for _, u := range sizeUnits {
		num, ok := strings.CutSuffix(t, u.suffix)
		if !ok || num == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			break
		}
		b := v * float64(u.mult)
		if b >= math.MaxInt64 {
			return 0, fmt.Errorf("invalid size %q: too large", s)
		}
		return Size(b), nil
	}
	return 0, fmt.Errorf("invalid size %q: want a number with K, M, G or T (such as 10M or 200MB), or bytes", s)
}

// String writes the shortest exact form: 10M, 1536K, 123.
func (z Size) String() string {
	for _, u := range sizeUnits {
		if z != 0 && int64(z)%u.mult == 0 {
			return strconv.FormatInt(int64(z)/u.mult, 10) + u.suffix
		}
	}
	return "0"
}

// MarshalText writes String.
func (z Size) MarshalText() ([]byte, error) { return []byte(z.String()), nil }

// UnmarshalText reads what ParseSize reads.
func (z *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*z = v
	return nil
}

// UnmarshalJSON accepts a string or a bare number of bytes.
func (z *Size) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return z.UnmarshalText([]byte(s))
	}
	return z.UnmarshalText(b)
}
