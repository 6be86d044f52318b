package spec

import (
	"testing"
	"time"
)

// The schedule is a pure function of the time it is asked about.
func TestCronNext(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		expr, tz, now, want string
	}{
		{"0 3 * * *", "UTC", "2026-12-01T17:00:00Z", "2026-12-02T03:00:00Z"},
		{"0 3 * * *", "UTC", "2026-12-01T02:59:59Z", "2026-12-01T03:00:00Z"},
		{"*/2 * * * * *", "UTC", "2026-12-01T17:00:01Z", "2026-12-01T17:00:02Z"},
		{"*/2 * * * * *", "UTC", "2026-12-01T17:00:02Z", "2026-12-01T17:00:04Z"},
		{"@daily", "UTC", "2026-12-01T17:00:00Z", "2026-12-02T00:00:00Z"},
		{"@hourly", "UTC", "2026-12-01T17:30:00Z", "2026-12-01T18:00:00Z"},
		{"@every 90s", "UTC", "2026-12-01T17:00:00Z", "2026-12-01T17:01:30Z"},
		// 03:00 in Paris is 02:00 UTC in winter.
		{"0 3 * * *", "Europe/Paris", "2026-12-01T17:00:00Z", "2026-12-02T02:00:00Z"},
		{"30 9 * * 1", "UTC", "2026-12-01T17:00:00Z", "2026-12-07T09:30:00Z"}, // next Monday
	}
	for _, tt := range tests {
		c, err := ParseCron(tt.expr, tt.tz)
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		if got := c.Next(at(tt.now)); !got.Equal(at(tt.want)) {
			t.Errorf("%s in %s after %s: %s, want %s", tt.expr, tt.tz, tt.now, got.UTC().Format(time.RFC3339), tt.want)
		}
	}
	for _, bad := range []struct{ expr, tz string }{{"* * *", ""}, {"61 * * * *", ""}, {"@fortnightly", ""}, {"0 3 * * *", "Mars/Olympus"}, {"CRON_TZ=UTC 0 3 * * *", ""}} {
		if _, err := ParseCron(bad.expr, bad.tz); err == nil {
			t.Errorf("ParseCron(%q, %q) accepted", bad.expr, bad.tz)
		}
	}
}
