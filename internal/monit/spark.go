package monit

import "strings"

var sparks = []rune("▁▂▃▄▅▆▇█")

// Floats turns a history column (nil: not measured) into numbers, a gap
// as -1.
func Floats[T uint64 | float64 | int](col []*T) []float64 {
	out := make([]float64, len(col))
	for i, v := range col {
		out[i] = -1
		if v != nil {
			out[i] = float64(*v)
		}
	}
	return out
}

// Sparkline draws s (a gap is negative) a column per step values, each
// column the highest of its values, scaled from 0 to the highest of all
// or floor, whichever is more (so 0.1% of CPU is not drawn as a full
// bar); a column with no value is a space. With width > 0 it draws the
// last width columns, padded on the left.
func Sparkline(s []float64, step, width int, floor float64) string {
	step = max(step, 1)
	var cols []float64
	for i := 0; i < len(s); i += step {
		col := -1.0
		for _, v := range s[i:min(i+step, len(s))] {
			col = max(col, v)
		}
		cols = append(cols, col)
	}
	pad := 0
	if width > 0 {
		if len(cols) > width {
			cols = cols[len(cols)-width:]
		}
		pad = width - len(cols)
	}
	top := floor
	for _, v := range cols {
		top = max(top, v)
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", pad))
	for _, v := range cols {
		switch {
		case v < 0:
			b.WriteByte(' ')
		case top <= 0:
			b.WriteRune(sparks[0])
		default:
			b.WriteRune(sparks[min(int(v/top*float64(len(sparks)-1)+0.5), len(sparks)-1)])
		}
	}
	return b.String()
}
