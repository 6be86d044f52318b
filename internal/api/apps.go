package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/metrics"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/supervisor"
)

func instanceOf(app *spec.App, v supervisor.View, now time.Time) apitype.Instance {
	name := app.Name
	i := apitype.Instance{
		Name: name, Namespace: app.Namespace, ID: name + ":" + strconv.Itoa(v.Instance), Instance: v.Instance,
		Status: v.State.String(), Pid: v.Pid, UptimeMS: v.Uptime(now).Milliseconds(),
		Restarts: v.Restarts, CPU: v.CPU, MemoryBytes: v.Usage.RSS, Processes: v.Usage.Procs,
		Reason: v.Reason, Decision: v.Decision, LastExit: v.LastExit, Crash: v.Crash,
		LostLines: v.LostLogs, AppStatus: v.Status, ReadyBy: v.ReadyBy, HeldBy: v.HeldBy,
		NotReady: v.NotReady, Probes: v.Probes, Limits: v.Limits, WaitingFor: v.WaitingFor,
	}
	if !v.NextCron.IsZero() {
		t := v.NextCron
		i.NextCron = &t
	}
	if !v.NextTry.IsZero() {
		t := v.NextTry
		i.NextTry = &t
	}
	if !v.NextRun.IsZero() {
		t := v.NextRun
		i.NextRun = &t
	}
	i.LastRun = v.LastRun
	i.CPUSecondsTotal = v.CPUTotal.Seconds()
	i.RestartsBy = v.RestartsBy
	i.LogLines, i.IPCMessages = v.LogLines, [2]int64{v.IPCIn, v.IPCOut}
	if u := v.Usage; v.Pid != 0 && u.Procs > 0 {
		i.Tree = &apitype.Tree{
			Processes: u.Procs, Threads: u.Threads, FDs: u.FDs, RSS: u.RSS, PeakRSS: v.PeakRSS,
			CPUUser: u.User.Seconds(), CPUSystem: u.System.Seconds(), CPUPercent: v.CPU,
		}
	}
	return i
}

// getHistory is the last seconds of each instance of ?app=NAME, or of
// every app (?seconds=N, at most an hour, the default).
func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) error {
	secs := metrics.SeriesSpan
	if q := r.URL.Query().Get("seconds"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > metrics.SeriesSpan {
			return badRequest("history: seconds=%q: want a whole number from 1 to %d (an hour)", q, metrics.SeriesSpan)
		}
		secs = n
	}
	hs, err := s.Sup.UsageHistory(r.URL.Query().Get("app"), secs, time.Now())
	if err != nil {
		return err
	}
	out := make([]apitype.History, 0, len(hs))
	for _, h := range hs {
		a := apitype.History{App: h.App, Instance: h.Instance, Start: time.Unix(h.Start, 0).UTC(), StepS: 1,
			CPU: make([]*float64, len(h.Samples)), RSS: make([]*uint64, len(h.Samples)), FDs: make([]*int, len(h.Samples)),
			RingBytes: h.Bytes}
		for k, smp := range h.Samples {
			if smp.OK() {
				c, m, f := smp.CPU(), smp.RSS(), smp.FDs()
				a.CPU[k], a.RSS[k], a.FDs[k] = &c, &m, &f
			}
		}
		out = append(out, a)
	}
	return writeJSON(w, out)
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, s.instances())
}

// instances is every instance as ls and the dashboard show it, with its
// app's pool counts.
func (s *Server) instances() []apitype.Instance {
	now := time.Now()
	out := []apitype.Instance{}
	for _, a := range s.Sup.List() {
		var ps *apitype.PoolStats
		if st, ok := s.Sup.PoolStats(a.Record.App.Name); ok {
			ps = poolStatsOf(st)
		}
		for _, v := range a.Instances {
			i := instanceOf(a.Record.App, v, now)
			i.Pool = ps
			out = append(out, i)
		}
	}
	return out
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	a, err := s.Sup.Get(name)
	if err != nil {
		return err
	}
	app := a.Record.App
	if r.URL.Query().Get("secrets") != "1" {
		app = app.Masked()
	}
	out := apitype.App{Name: app.Name, Desired: string(a.Record.Desired), Spec: app, Argv: a.Record.App.Argv(),
		Listening: s.Sup.Listening(a.Record.App), Runs: a.Runs}
	if st, ok := s.Sup.PoolStats(name); ok {
		out.Pool = poolStatsOf(st)
	}
	now := time.Now()
	for _, v := range a.Instances {
		i := instanceOf(app, v, now)
		i.OutLog, i.ErrLog = s.Sup.LogPaths(app.Name, v.Instance)
		if v.Pid != 0 {
			if f, err := metrics.Read(v.Pid); err == nil {
				i.Process = &f
			}
		}
		out.Instances = append(out.Instances, i)
	}
	return writeJSON(w, out)
}

func (s *Server) startApps(w http.ResponseWriter, r *http.Request) error {
	var req apitype.StartRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest("start: %v", err)
	}
	if len(req.Apps) == 0 {
		return badRequest("start: no apps given")
	}
	withCallerEnv(req.Apps, req.CallerEnv)
	if err := s.Sup.Add(req.Apps, req.Replace); err != nil {
		return err
	}
	now := time.Now()
	out := []apitype.Instance{}
	for _, a := range req.Apps {
		v, err := s.Sup.Get(a.Name)
		if err != nil {
			return err
		}
		for _, in := range v.Instances {
			out = append(out, instanceOf(v.Record.App, in, now))
		}
	}
	return writeJSON(w, out)
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	if err := s.Sup.Delete(r.PathValue("target")); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// action is a handler for POST /v1/apps/{target}/<action>: it carries
// the action out on target and returns warnings.
type action func(target string, req apitype.ActionRequest) ([]string, error)

// act decodes the request, runs do, and answers with the instances the
// action touched.
func (s *Server) act(name string, do action) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t := r.PathValue("target")
		var req apitype.ActionRequest
		if r.ContentLength != 0 {
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				return badRequest("%s: %v", name, err)
			}
		}
		warnings, err := do(t, req)
		if err != nil {
			return err
		}
		return writeJSON(w, apitype.ActionResult{Instances: s.touched(t), Warnings: warnings})
	}
}

// touched lists the instances of target: all, an app, app:N, or a
// namespace (when no app has that name).
func (s *Server) touched(target string) []apitype.Instance {
	name, id, one := strings.Cut(target, ":")
	now := time.Now()
	out := []apitype.Instance{}
	apps := s.Sup.List()
	isApp := slices.ContainsFunc(apps, func(a supervisor.AppView) bool { return a.Record.App.Name == name })
	for _, a := range apps {
		switch {
		case target == "all":
		case isApp && a.Record.App.Name == name:
		case !isApp && !one && a.Record.App.Namespace == target:
		default:
			continue
		}
		for _, v := range a.Instances {
			if one && strconv.Itoa(v.Instance) != id {
				continue
			}
			out = append(out, instanceOf(a.Record.App, v, now))
		}
	}
	return out
}

func (s *Server) startApp(t string, _ apitype.ActionRequest) ([]string, error) {
	return nil, s.Sup.StartExisting(t)
}

func (s *Server) runNow(t string, _ apitype.ActionRequest) ([]string, error) {
	return nil, s.Sup.RunNow(t)
}

func (s *Server) stopApp(t string, _ apitype.ActionRequest) ([]string, error) {
	return nil, s.Sup.Stop(t)
}

func (s *Server) restartApp(t string, req apitype.ActionRequest) ([]string, error) {
	return nil, s.Sup.Restart(t, req.CallerEnv)
}

func (s *Server) reloadApp(t string, req apitype.ActionRequest) ([]string, error) {
	return s.Sup.Reload(t, req.Parallel)
}

func (s *Server) scaleApp(t string, req apitype.ActionRequest) ([]string, error) {
	if req.Relative {
		return nil, s.Sup.ScaleBy(t, req.Instances)
	}
	return nil, s.Sup.Scale(t, req.Instances)
}

func (s *Server) sendApp(t string, req apitype.ActionRequest) ([]string, error) {
	return nil, s.Sup.Send(t, req.Message)
}

func (s *Server) signalApp(t string, req apitype.ActionRequest) ([]string, error) {
	sig, err := spec.ParseSignal(req.Signal)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return nil, s.Sup.Signal(t, sig)
}

func (s *Server) apply(w http.ResponseWriter, r *http.Request) error {
	var req apitype.ApplyRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest("apply: %v", err)
	}
	withCallerEnv(req.Apps, req.CallerEnv)
	plan := s.Sup.Plan
	if !req.DryRun {
		plan = s.Sup.Apply
	}
	changes, err := plan(req.Apps, req.Source, supervisor.ApplyMode{Every: req.Every, Parallel: req.Parallel})
	if err != nil {
		return err
	}
	out := make([]apitype.Change, len(changes))
	for i, c := range changes {
		out[i] = apitype.Change(c)
	}
	return writeJSON(w, out)
}

// withCallerEnv gives env to each app that came without its own.
func withCallerEnv(apps []*spec.App, env map[string]string) {
	for _, a := range apps {
		if a != nil && a.CallerEnv == nil {
			a.CallerEnv = env
		}
	}
}
