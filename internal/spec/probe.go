package spec

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Probe is a check of a running instance (DESIGN §8): an HTTP GET, a TCP
// connect or a command, run every Interval. As health (liveness) its
// failing restarts the instance; as readiness it gates online and
// reloads. Exactly one of HTTP, TCP and Exec is set. ${VAR} in them is
// expanded from the instance's environment (${PORT}) at each start.
type Probe struct {
	HTTP string `json:"http,omitempty" yaml:"http,omitempty"` // http://127.0.0.1:${PORT}/healthz
	TCP  string `json:"tcp,omitempty" yaml:"tcp,omitempty"`   // 127.0.0.1:3000
	// Exec is the command's argv, run without a shell; a command given as
	// one string in a file is run by /bin/sh -c.
	Exec []string `json:"exec,omitempty" yaml:"exec,omitempty"`

	Headers      map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	ExpectStatus []int             `json:"expect_status,omitempty" yaml:"expect_status,omitempty"`

	Interval         Duration `json:"interval,omitempty" yaml:"interval,omitempty"`
	Timeout          Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	FailureThreshold int      `json:"failure_threshold,omitempty" yaml:"failure_threshold,omitempty"`
	SuccessThreshold int      `json:"success_threshold,omitempty" yaml:"success_threshold,omitempty"`
	// StartPeriod: failures before this much uptime do not count.
	StartPeriod Duration `json:"start_period,omitempty" yaml:"start_period,omitempty"`
}

// Probe defaults, as Kubernetes' (but a 10 s interval, and timeout 1 s).
const (
	DefaultProbeInterval  = 10 * time.Second
	DefaultProbeTimeout   = time.Second
	DefaultProbeFailures  = 3
	DefaultProbeSuccesses = 1
)

// Probe bounds: a check every few milliseconds is a load test, not a probe.
const (
	minProbeInterval = 100 * time.Millisecond
	minProbeTimeout  = 10 * time.Millisecond
	maxProbeCount    = 1000
	maxProbeArgs     = 256
	maxProbeHeaders  = 64
)

// Kind is what the probe does: http, tcp or exec ("" when none is set).
func (p *Probe) Kind() string {
	switch {
	case p.HTTP != "":
		return "http"
	case p.TCP != "":
		return "tcp"
	case len(p.Exec) > 0:
		return "exec"
	}
	return ""
}

// canonicalize fills the defaults in place.
func (p *Probe) canonicalize() {
	if p.Interval == 0 {
		p.Interval = Duration(DefaultProbeInterval)
	}
	if p.Timeout == 0 {
		p.Timeout = Duration(DefaultProbeTimeout)
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = DefaultProbeFailures
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = DefaultProbeSuccesses
	}
}

// check reports every problem of probe p, the value of key.
func (p *Probe) check(app, key string) []error {
	var errs []error
	bad := func(sub, format string, args ...any) {
		k := key
		if sub != "" {
			k += "." + sub
		}
		errs = append(errs, &FieldError{App: app, Key: k, Msg: fmt.Sprintf(format, args...)})
	}
	n := 0
	for _, set := range []bool{p.HTTP != "", p.TCP != "", len(p.Exec) > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		bad("", "wants exactly one of http, tcp and exec (has %d)", n)
	}
	if p.HTTP != "" {
		// ${PORT} is filled at start; check the rest with a stand-in.
		u, err := url.Parse(expandStandIn(p.HTTP))
		switch {
		case err != nil:
			bad("http", "%q: %v", p.HTTP, err)
		case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
			bad("http", "%q: want a URL such as http://127.0.0.1:${PORT}/healthz", p.HTTP)
		}
	}
	if p.TCP != "" {
		if _, port, err := net.SplitHostPort(expandStandIn(p.TCP)); err != nil || port == "" {
			bad("tcp", "%q: want HOST:PORT, such as 127.0.0.1:3000 or 127.0.0.1:${PORT}", p.TCP)
		}
	}
	if len(p.Exec) > maxProbeArgs {
		bad("exec", "has %d arguments: at most %d", len(p.Exec), maxProbeArgs)
	}
	if len(p.Exec) > 0 && strings.TrimSpace(p.Exec[0]) == "" {
		bad("exec", "the command is empty")
	}
	for k, v := range p.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n\x00") || strings.ContainsAny(v, "\r\n\x00") {
			bad("headers", "%q: a header name is a word, and neither holds a line break", k)
		}
	}
	if len(p.Headers) > maxProbeHeaders {
		bad("headers", "has %d entries: at most %d", len(p.Headers), maxProbeHeaders)
	}
	if (len(p.Headers) > 0 || len(p.ExpectStatus) > 0) && p.HTTP == "" {
		bad("", "headers and expect_status are for an http probe")
	}
	for _, c := range p.ExpectStatus {
		if c < 100 || c > 599 {
			bad("expect_status", "%d: an HTTP status is 100 to 599", c)
		}
	}
	if d := p.Interval.D(); d != 0 && (d < minProbeInterval || d > maxDuration) {
		bad("interval", "%s: want %s to %s", p.Interval, Duration(minProbeInterval), Duration(maxDuration))
	}
	if d := p.Timeout.D(); d != 0 && (d < minProbeTimeout || d > maxDuration) {
		bad("timeout", "%s: want %s to %s", p.Timeout, Duration(minProbeTimeout), Duration(maxDuration))
	}
	if d := p.StartPeriod.D(); d < 0 || d > maxDuration {
		bad("start_period", "%s: want 0 to %s", p.StartPeriod, Duration(maxDuration))
	}
	for _, c := range []struct {
		key string
		n   int
	}{{"failure_threshold", p.FailureThreshold}, {"success_threshold", p.SuccessThreshold}} {
		if c.n < 0 || c.n > maxProbeCount {
			bad(c.key, "%d: want 1 to %d", c.n, maxProbeCount)
		}
	}
	return errs
}

// expandStandIn replaces each ${VAR} with a number, so a template can be
// checked before the environment it is filled from exists.
func expandStandIn(s string) string { return ExpandBraces(s, func(string) string { return "1" }) }

// ExpandBraces replaces each ${VAR} in s with value(VAR). A bare $VAR is
// left alone: a URL or a shell line may hold one.
func ExpandBraces(s string, value func(name string) string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(value(s[i+2 : i+j]))
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// Clone returns a deep copy of p, or nil.
func (p *Probe) Clone() *Probe {
	if p == nil {
		return nil
	}
	c := *p
	c.Exec = slices.Clone(p.Exec)
	c.ExpectStatus = slices.Clone(p.ExpectStatus)
	c.Headers = maps.Clone(p.Headers)
	return &c
}

// Describe says what the probe checks, in a few words: "GET
// http://127.0.0.1:3000/healthz", "connect 127.0.0.1:3000", "exec ./check".
func (p *Probe) Describe() string {
	switch p.Kind() {
	case "http":
		return "GET " + p.HTTP
	case "tcp":
		return "connect " + p.TCP
	case "exec":
		return "exec " + strings.Join(p.Exec, " ")
	}
	return "nothing"
}
