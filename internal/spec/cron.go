package spec

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Cron is a parsed schedule: five fields (minute hour day-of-month month
// day-of-week), or six with seconds first as PM2 accepts, or a descriptor
// (@hourly, @daily, @weekly, @monthly, @yearly, @every 90s), in a time
// zone.
type Cron struct {
	expr  string
	sched cron.Schedule
	loc   *time.Location
}

var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron reads expr in the time zone tz ("" is the daemon's local
// zone; an IANA name such as Europe/Paris otherwise).
func ParseCron(expr, tz string) (*Cron, error) {
	loc := time.Local
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, &zoneError{fmt.Sprintf("%q: %v (want an IANA name such as Europe/Paris or UTC)", tz, err)}
		}
		loc = l
	}
	if strings.HasPrefix(strings.TrimSpace(expr), "CRON_TZ=") || strings.HasPrefix(strings.TrimSpace(expr), "TZ=") {
		return nil, fmt.Errorf("%q: set the zone with cron_timezone, not in the expression", expr)
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("%q: %v (want 5 fields, 6 with seconds first, or @daily and the like)", expr, err)
	}
	return &Cron{expr: expr, sched: s, loc: loc}, nil
}

// Next is the first time of the schedule after t. It is a pure function
// of t.
func (c *Cron) Next(t time.Time) time.Time { return c.sched.Next(t.In(c.loc)) }

func (c *Cron) String() string { return c.expr }

// zoneError is a bad cron_timezone (the rest are cron_restart's).
type zoneError struct{ msg string }

func (e *zoneError) Error() string { return e.msg }
