package dotenv

import (
	"slices"
	"strconv"
)

// object is a JavaScript object of strings: keys that are array indexes
// come first in ascending order, the rest in insertion order, and setting
// an existing key keeps its place.
type object struct {
	keys []string
	vals map[string]string
}

func (o *object) set(k, v string) {
	if o.vals == nil {
		o.vals = map[string]string{}
	}
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *object) get(k string) (string, bool) {
	v, ok := o.vals[k]
	return v, ok
}

// order returns the keys in JavaScript's enumeration order.
func (o *object) order() []string {
	var idx, rest []string
	for _, k := range o.keys {
		if isArrayIndex(k) {
			idx = append(idx, k)
		} else {
			rest = append(rest, k)
		}
	}
	slices.SortFunc(idx, func(a, b string) int {
		x, _ := strconv.ParseUint(a, 10, 32)
		y, _ := strconv.ParseUint(b, 10, 32)
		return int(int64(x) - int64(y))
	})
	return append(idx, rest...)
}

func (o *object) pairs() []Pair {
	out := make([]Pair, 0, len(o.keys))
	for _, k := range o.order() {
		out = append(out, Pair{k, o.vals[k]})
	}
	return out
}

// isArrayIndex: a canonical decimal below 2³²−1.
func isArrayIndex(k string) bool {
	n, err := strconv.ParseUint(k, 10, 32)
	return err == nil && n < 1<<32-1 && strconv.FormatUint(n, 10) == k
}
