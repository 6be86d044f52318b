package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/logs"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/supervisor"
)

// ndjson writes one JSON value per line, flushing each.
type ndjson struct {
	w   http.ResponseWriter
	enc *json.Encoder
}

func newNDJSON(w http.ResponseWriter) *ndjson {
	w.Header().Set("Content-Type", "application/x-ndjson")
	return &ndjson{w: w, enc: json.NewEncoder(w)}
}

func (n *ndjson) write(v any) error {
	if err := n.enc.Encode(v); err != nil {
		return err
	}
	if f, ok := n.w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}

func intParam(r *http.Request, key string, def int) (int, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badRequest("%s=%q: want a whole number ≥ 0", key, v)
	}
	return n, nil
}

// selected returns the apps and instances a log or event request is about.
func (s *Server) selected(target string) ([]supervisor.AppView, error) {
	if target == "" {
		return s.Sup.List(), nil
	}
	a, err := s.Sup.Get(target)
	if err != nil {
		return nil, err
	}
	return []supervisor.AppView{a}, nil
}

// logQuery is what GET /v1/logs asks for.
type logQuery struct {
	lines        int
	streams      map[string]bool
	since, until time.Time
	grep         *regexp.Regexp
}

func parseLogQuery(r *http.Request) (logQuery, error) {
	q := r.URL.Query()
	lq := logQuery{streams: map[string]bool{"out": true, "err": true}}
	var err error
	if lq.lines, err = intParam(r, "lines", 15); err != nil {
		return lq, err
	}
	switch q.Get("stream") {
	case "out":
		lq.streams["err"] = false
	case "err":
		lq.streams["out"] = false
	case "":
	default:
		return lq, badRequest("stream=%q: want out or err", q.Get("stream"))
	}
	for _, t := range []struct {
		key string
		dst *time.Time
	}{{"since", &lq.since}, {"until", &lq.until}} {
		if v := q.Get(t.key); v != "" {
			if *t.dst, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return lq, badRequest("%s=%q: want an RFC 3339 time", t.key, v)
			}
		}
	}
	if v := q.Get("grep"); v != "" {
		if lq.grep, err = regexp.Compile(v); err != nil {
			return lq, badRequest("grep: %v", err)
		}
	}
	return lq, nil
}

// keep reports whether a record passes the time and text filters.
func (lq logQuery) keep(r logs.Record) bool {
	if !lq.since.IsZero() && (r.Time.IsZero() || r.Time.Before(lq.since)) {
		return false
	}
	if !lq.until.IsZero() && (r.Time.IsZero() || r.Time.After(lq.until)) {
		return false
	}
	return lq.grep == nil || lq.grep.MatchString(r.Line)
}

func (s *Server) getLogs(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseLogQuery(r)
	if err != nil {
		return err
	}
	target := r.URL.Query().Get("app")
	apps, err := s.selected(target)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	read := map[string]bool{} // merge_logs: the instances share one file, read once
	var past []apitype.LogLine
	for _, a := range apps {
		app := a.Record.App
		if (!lq.since.IsZero() || !lq.until.IsZero()) && app.LogType != "json" && !app.Timestamps() {
			return badRequest("--since and --until need timestamps, and %s has time: false", app.Name)
		}
		format := logs.FormatOf(app)
		for _, in := range a.Instances {
			want[app.Name+":"+strconv.Itoa(in.Instance)] = true
			outPath, errPath := s.Sup.LogPaths(app.Name, in.Instance)
			for _, p := range []struct{ stream, path string }{{"out", outPath}, {"err", errPath}} {
				if !lq.streams[p.stream] || p.path == "" || read[p.path] {
					continue
				}
				read[p.path] = true
				recs, err := logs.ReadLast(p.path, format, lq.lines, lq.keep)
				if err != nil {
					return err
				}
				for _, rec := range recs {
					id := in.Instance
					if app.MergeLogs && len(a.Instances) > 1 {
						id = rec.Instance // who wrote a merged line, when the line says; else -1
					}
					past = append(past, apitype.LogLine{Time: rec.Time, App: app.Name, Instance: id, Stream: p.stream, Line: rec.Line})
				}
			}
		}
	}
	// Interleave by time; lines without one keep their file order.
	slices.SortStableFunc(past, func(a, b apitype.LogLine) int { return a.Time.Compare(b.Time) })
	match := func(e logs.Entry) bool {
		return lq.streams[e.Stream] && (target == "" || want[e.App+":"+strconv.Itoa(e.Instance)]) &&
			(lq.grep == nil || lq.grep.MatchString(e.Line))
	}
	var f *logs.Follower
	if r.URL.Query().Get("follow") == "1" {
		f = s.Sup.Hub().Follow(match)
		defer f.Close()
	}
	out := newNDJSON(w)
	for _, l := range past {
		if err := out.write(l); err != nil {
			return nil
		}
	}
	if f == nil {
		return nil
	}
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	for {
		select {
		case e := <-f.C:
			if err := out.write(apitype.LogLine(e)); err != nil {
				return nil
			}
		case <-r.Context().Done():
			return nil
		case <-s.Stopping:
			return nil
		}
	}
}

func (s *Server) flushLogs(w http.ResponseWriter, r *http.Request) error {
	apps, err := s.selected(r.URL.Query().Get("app"))
	if err != nil {
		return err
	}
	for _, a := range apps {
		for _, in := range a.Instances {
			if err := s.Sup.FlushLogs(a.Record.App.Name, in.Instance); err != nil {
				return err
			}
		}
	}
	return writeJSON(w, struct{}{})
}

func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	n, err := intParam(r, "lines", 50)
	if err != nil {
		return err
	}
	app := q.Get("app")
	if app != "" {
		if _, err := s.Sup.Get(app); err != nil {
			return err
		}
	}
	var feed <-chan spec.Event
	if q.Get("follow") == "1" {
		c, stop := s.Sup.FollowEvents()
		defer stop()
		feed = c
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		if since, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return badRequest("since=%q: want an RFC 3339 time", v)
		}
	}
	past, err := s.Store.EventsSince(app, n, since)
	if err != nil {
		return err
	}
	out := newNDJSON(w)
	last := uint64(0)
	for _, e := range past {
		if err := out.write(e); err != nil {
			return nil
		}
		last = max(last, e.Seq)
	}
	if feed == nil {
		return nil
	}
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	for {
		select {
		case e := <-feed:
			if app != "" && e.App != app {
				continue
			}
			if err := out.write(e); err != nil {
				return nil
			}
		case <-r.Context().Done():
			return nil
		case <-s.Stopping:
			return nil
		}
	}
}

func (s *Server) reopenLogs(w http.ResponseWriter, r *http.Request) error {
	if err := s.Sup.ReopenLogs(); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}
