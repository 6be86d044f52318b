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

// Daylight saving time, as robfig/cron decides it and tend documents: a
// time the clock skips does not run that day; a time the clock passes
// twice runs twice (use cron_timezone: UTC where that matters).
func TestCronNextAcrossDST(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04 -0700", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	c, err := ParseCron("30 2 * * *", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ after, want string }{
		// 2027-03-28: 02:00 → 03:00; 02:30 does not exist, so the next is the 29th.
		{"2027-03-27 12:00 +0100", "2027-03-29 02:30 +0200"},
		// 2026-10-25: 03:00 → 02:00; 02:30 comes twice.
		{"2026-10-24 12:00 +0200", "2026-10-25 02:30 +0200"},
		{"2026-10-25 02:30 +0200", "2026-10-25 02:30 +0100"},
		{"2026-10-25 02:30 +0100", "2026-10-26 02:30 +0100"},
	} {
		if got := c.Next(at(tt.after)); !got.Equal(at(tt.want)) {
			t.Errorf("after %s: %s, want %s", tt.after, got.In(paris).Format("2006-01-02 15:04 -0700"), tt.want)
		}
	}
}

func TestMissed(t *testing.T) {
	c, err := ParseCron("0 * * * *", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	h := func(hh, mm int) time.Time { return time.Date(2026, 12, 1, hh, mm, 0, 0, time.UTC) }
	for _, tt := range []struct {
		last, now time.Time
		due       time.Time
		missed    bool
	}{
		{h(3, 0), h(3, 59), h(4, 0), false},         // down for less than an hour: nothing missed
		{h(3, 0), h(4, 0), h(4, 0), true},           // the time itself counts
		{h(3, 0), h(9, 30), h(4, 0), true},          // six missed: one catch-up, for the first
		{time.Time{}, h(9, 30), time.Time{}, false}, // never ran: nothing to catch up
	} {
		due, missed := Missed(c, tt.last, tt.now)
		if missed != tt.missed || (missed && !due.Equal(tt.due)) {
			t.Errorf("Missed(last %v, now %v) = %v, %v; want %v, %v", tt.last, tt.now, due, missed, tt.due, tt.missed)
		}
	}
}

func TestJobHistoryOrderAndBound(t *testing.T) {
	var j JobState
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	// A long run ends after the times it made skip: it is placed by its start.
	for i := 1; i <= 3; i++ {
		j.Record(JobRun{Start: base.Add(time.Duration(i) * time.Second), Result: RunSkipped})
	}
	j.Record(JobRun{Start: base, Result: RunOK})
	if j.Runs[0].Result != RunOK {
		t.Errorf("history %v: want the run that started first, first", j.Runs)
	}
	for i := range 2 * JobRuns {
		j.Record(JobRun{Start: base.Add(time.Hour + time.Duration(i)*time.Second)})
	}
	if len(j.Runs) != JobRuns || !j.Runs[JobRuns-1].Start.Equal(base.Add(time.Hour+time.Duration(2*JobRuns-1)*time.Second)) {
		t.Errorf("history of %d runs, last %v: want the last %d", len(j.Runs), j.Runs[len(j.Runs)-1].Start, JobRuns)
	}
}
