package api

import (
	"encoding/json"
	"net/http"
	"strconv"

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

func (s *Server) getLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lines, err := intParam(r, "lines", 15)
	if err != nil {
		return err
	}
	streams := map[string]bool{"out": true, "err": true}
	switch q.Get("stream") {
	case "out":
		streams["err"] = false
	case "err":
		streams["out"] = false
	case "":
	default:
		return badRequest("stream=%q: want out or err", q.Get("stream"))
	}
	apps, err := s.selected(q.Get("app"))
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, a := range apps {
		for _, in := range a.Instances {
			want[a.Record.App.Name+":"+strconv.Itoa(in.Instance)] = true
		}
	}
	match := func(e logs.Entry) bool {
		return streams[e.Stream] && (q.Get("app") == "" || want[e.App+":"+strconv.Itoa(e.Instance)])
	}
	var f *logs.Follower
	if q.Get("follow") == "1" {
		f = s.Sup.Hub().Follow(match)
		defer f.Close()
	}
	out := newNDJSON(w)
	for _, a := range apps {
		for _, in := range a.Instances {
			outPath, errPath := s.Sup.LogPaths(a.Record.App.Name, in.Instance)
			for _, p := range []struct{ stream, path string }{{"out", outPath}, {"err", errPath}} {
				if !streams[p.stream] || lines == 0 {
					continue
				}
				tail, err := logs.Tail(p.path, lines)
				if err != nil {
					return err
				}
				for _, l := range tail {
					if err := out.write(apitype.LogLine{App: a.Record.App.Name, Instance: in.Instance, Stream: p.stream, Line: l}); err != nil {
						return nil
					}
				}
			}
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
	past, err := s.Store.Events(app, n)
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
