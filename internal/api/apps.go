package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/metrics"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/supervisor"
)

func instanceOf(name string, v supervisor.View, now time.Time) apitype.Instance {
	i := apitype.Instance{
		Name: name, ID: name + ":" + strconv.Itoa(v.Instance), Instance: v.Instance,
		Status: v.State.String(), Pid: v.Pid, UptimeMS: v.Uptime(now).Milliseconds(),
		Restarts: v.Restarts, CPU: v.CPU, MemoryBytes: v.Usage.RSS, Processes: v.Usage.Procs,
		Reason: v.Reason, Decision: v.Decision, LastExit: v.LastExit, Crash: v.Crash,
		LostLines: v.LostLogs, AppStatus: v.Status, ReadyBy: v.ReadyBy, HeldBy: v.HeldBy,
	}
	if !v.NextTry.IsZero() {
		t := v.NextTry
		i.NextTry = &t
	}
	return i
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	now := time.Now()
	out := []apitype.Instance{}
	for _, a := range s.Sup.List() {
		for _, v := range a.Instances {
			out = append(out, instanceOf(a.Record.App.Name, v, now))
		}
	}
	return writeJSON(w, out)
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
		Listening: s.Sup.Listening(a.Record.App)}
	now := time.Now()
	for _, v := range a.Instances {
		i := instanceOf(app.Name, v, now)
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
			out = append(out, instanceOf(a.Name, in, now))
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

func (s *Server) actApp(w http.ResponseWriter, r *http.Request) error {
	t := r.PathValue("target")
	var req apitype.ActionRequest
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return badRequest("%s: %v", r.PathValue("action"), err)
		}
	}
	var err error
	switch action := r.PathValue("action"); action {
	case "start":
		err = s.Sup.StartExisting(t)
	case "stop":
		err = s.Sup.Stop(t)
	case "restart":
		err = s.Sup.Restart(t, req.CallerEnv)
	case "scale":
		err = s.Sup.Scale(t, req.Instances)
	case "reload":
		warnings, err := s.Sup.Reload(t, req.Parallel)
		if err != nil {
			return err
		}
		return writeJSON(w, apitype.ReloadResult{Warnings: warnings})
	case "send":
		err = s.Sup.Send(t, req.Message)
	case "signal":
		sig, perr := spec.ParseSignal(req.Signal)
		if perr != nil {
			return badRequest("%v", perr)
		}
		err = s.Sup.Signal(t, sig)
	default:
		return &apiError{http.StatusNotFound, apitype.CodeNotFound,
			fmt.Sprintf("no action %q; want one of start, stop, restart, reload, scale, signal, send", strings.ToLower(action))}
	}
	if err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

func (s *Server) apply(w http.ResponseWriter, r *http.Request) error {
	var req apitype.ApplyRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest("apply: %v", err)
	}
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
