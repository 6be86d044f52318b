package export

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// OnCalendar turns a cron schedule (tend's syntax: five fields, six with
// seconds first, or a descriptor) into a timer's lines: OnCalendar= in
// systemd's calendar syntax, in zone tz when given, or OnActiveSec= and
// OnUnitActiveSec= for @every. Cron runs when the day of the month or the
// day of the week matches, if both are set; systemd wants both, so such a
// schedule becomes two OnCalendar= lines, whose union is cron's.
func OnCalendar(expr, tz string) (string, error) {
	zone := ""
	if tz != "" {
		zone = " " + tz
	}
	expr = strings.TrimSpace(expr)
	if d, ok := strings.CutPrefix(expr, "@every "); ok {
		d = strings.TrimSpace(d)
		return "OnActiveSec=" + d + "\nOnUnitActiveSec=" + d, nil
	}
	switch expr {
	case "@yearly", "@annually":
		expr = "0 0 1 1 *"
	case "@monthly":
		expr = "0 0 1 * *"
	case "@weekly":
		expr = "0 0 * * 0"
	case "@daily", "@midnight":
		expr = "0 0 * * *"
	case "@hourly":
		expr = "0 * * * *"
	}
	f := strings.Fields(expr)
	if len(f) == 5 {
		f = append([]string{"0"}, f...)
	}
	if len(f) != 6 {
		return "", fmt.Errorf("schedule %q: want 5 or 6 fields", expr)
	}
	type field struct {
		text     string
		min, max int
		names    []string
	}
	months := []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	days := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	spec := []field{{f[0], 0, 59, nil}, {f[1], 0, 59, nil}, {f[2], 0, 23, nil}, {f[3], 1, 31, nil}, {f[4], 1, 12, months}, {f[5], 0, 6, days}}
	out := make([]string, 6)
	for i, fl := range spec {
		v, err := expand(fl.text, fl.min, fl.max, fl.names)
		if err != nil {
			return "", fmt.Errorf("schedule %q: %w", expr, err)
		}
		out[i] = v
	}
	sec, minute, hour, dom, mon, dow := out[0], out[1], out[2], out[3], out[4], out[5]
	if dow != "*" {
		var names []string
		for _, n := range strings.Split(dow, ",") {
			d, _ := strconv.Atoi(n)
			names = append(names, strings.ToUpper(days[d][:1])+days[d][1:])
		}
		slices.Sort(names)
		dow = strings.Join(slices.Compact(names), ",")
	}
	at := func(weekday, day string) string {
		s := fmt.Sprintf("*-%s-%s %s:%s:%s", mon, day, hour, minute, sec)
		if weekday != "*" {
			s = weekday + " " + s
		}
		return "OnCalendar=" + s + zone
	}
	if dom != "*" && dow != "*" {
		return at("*", dom) + "\n" + at(dow, "*"), nil
	}
	return at(dow, dom), nil
}

// expand turns one cron field into "*" or the comma list of its values.
func expand(text string, lo, hi int, names []string) (string, error) {
	if text == "*" || text == "?" {
		return "*", nil
	}
	var vals []int
	for part := range strings.SplitSeq(text, ",") {
		rng, stepText, stepped := strings.Cut(part, "/")
		step := 1
		if stepped {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return "", fmt.Errorf("field %q: bad step", text)
			}
			step = n
		}
		from, to := lo, hi
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			x, err := value(a, names, lo)
			if err != nil {
				return "", fmt.Errorf("field %q: %w", text, err)
			}
			from, to = x, x
			if isRange {
				if to, err = value(b, names, lo); err != nil {
					return "", fmt.Errorf("field %q: %w", text, err)
				}
			} else if stepped {
				to = hi // "5/10": from 5, every 10
			}
		}
		if from < lo || to > hi || from > to {
			return "", fmt.Errorf("field %q: out of %d-%d", text, lo, hi)
		}
		for v := from; v <= to; v += step {
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	vals = slices.Compact(vals)
	words := make([]string, len(vals))
	for i, v := range vals {
		words[i] = fmt.Sprintf("%02d", v)
	}
	return strings.Join(words, ","), nil
}

func value(s string, names []string, lo int) (int, error) {
	if i := slices.Index(names, strings.ToLower(s)); i >= 0 {
		return i + lo, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return n, nil
}
