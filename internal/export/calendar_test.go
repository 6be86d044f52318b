package export

import (
	"cmp"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

// TestOnCalendarMatchesCron runs each converted schedule through
// systemd's own calendar code (systemd-analyze calendar) and checks that
// its next times are cron's, as robfig/cron computes them for tend.
func TestOnCalendarMatchesCron(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Fatal("systemd-analyze is needed (apt-get install systemd):", err)
	}
	base := time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)
	elapse := regexp.MustCompile(`(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC`)
	const n = 6
	for _, tc := range []struct{ expr, tz string }{
		{"0 3 * * *", ""},
		{"*/5 * * * *", ""},
		{"*/20 * * * * *", ""},
		{"30 9 * * 1-5", ""},
		{"0 0 1,15 * *", ""},
		{"0 12 * jan,jul sun", ""},
		{"0 6 13 * 5", ""}, // the 13th or a Friday, as cron means it
		{"15 2 * * 0,6", ""},
		{"@hourly", ""},
		{"@daily", ""},
		{"@weekly", ""},
		{"@monthly", ""},
		{"0 3 * * *", "Europe/Paris"},
		{"5-10/2 8 * * *", ""},
	} {
		lines, err := OnCalendar(tc.expr, tc.tz)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		var got []time.Time
		for _, l := range strings.Split(lines, "\n") {
			cal := strings.TrimPrefix(l, "OnCalendar=")
			cmd := exec.Command("systemd-analyze", "calendar", "--iterations=6", "--base-time=2026-12-01 17:00:00 UTC", cal)
			cmd.Env = []string{"TZ=UTC", "LC_ALL=C"}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("%s → %q: systemd-analyze: %v\n%s", tc.expr, cal, err, out)
				continue
			}
			for _, m := range elapse.FindAllStringSubmatch(string(out), -1) {
				v, _ := time.Parse(time.DateTime, m[1])
				got = append(got, v)
			}
		}
		slices.SortFunc(got, func(a, b time.Time) int { return a.Compare(b) })
		got = slices.Compact(got)
		if len(got) > n {
			got = got[:n]
		}
		c, err := spec.ParseCron(tc.expr, cmp.Or(tc.tz, "UTC"))
		if err != nil {
			t.Fatal(err)
		}
		var want []time.Time
		for at := base; len(want) < n; {
			at = c.Next(at)
			want = append(want, at.UTC())
		}
		if !slices.EqualFunc(got, want, func(a, b time.Time) bool { return a.Equal(b) }) {
			t.Errorf("%s (%s) → %q:\n systemd %v\n cron    %v", tc.expr, tc.tz, lines, got, want)
		}
	}
	if _, err := OnCalendar("1 2 3", ""); err == nil {
		t.Error("a three-field schedule was converted")
	}
	if got, _ := OnCalendar("@every 90s", ""); got != "OnActiveSec=90s\nOnUnitActiveSec=90s" {
		t.Errorf("@every 90s → %q", got)
	}
}
