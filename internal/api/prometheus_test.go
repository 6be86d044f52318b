package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tend-pm/tend/internal/pool"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

// TestMetricsParse scrapes /metrics with real instances (one crash
// looping, one probed) and reads it with Prometheus' own text parser:
// every family is there, with the labels app and instance (and a
// bounded reason or probe), never a pid.
func TestMetricsParse(t *testing.T) {
	sup, st, dir := newSupervisor(t)
	probed := &spec.App{Name: "web", Script: "sleep", Args: []string{"600"},
		Readiness: &spec.Probe{Exec: []string{"true"}, Interval: spec.Duration(200 * time.Millisecond)}}
	crashy := &spec.App{Name: "crashy", Script: "sh", Args: []string{"-c", "exit 3"}}
	// Two lines out, one err, one IPC message (fd 3 is the channel).
	talker := &spec.App{Name: "talker", Script: "sh", Args: []string{"-c", `echo a; echo b; echo c >&2; echo '{"type":"hello"}' >&3; exec sleep 600`}}
	if err := sup.Add([]*spec.App{probed, crashy, talker}, false); err != nil {
		t.Fatal(err)
	}
	srv := &Server{Sup: sup, Store: st, Home: dir, Log: slog.New(slog.DiscardHandler)}
	h := srv.promMetrics().handler()
	scrape := func() map[string]*dto.MetricFamily {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
		if err != nil {
			t.Fatalf("the text parser: %v\n%s", err, rec.Body.String())
		}
		return fams
	}
	deadline := time.Now().Add(10 * time.Second)
	var fams map[string]*dto.MetricFamily
	for {
		fams = scrape()
		if f := fams["tend_instance_restarts_total"]; f != nil && fams["tend_probe_passing"] != nil {
			if v, _ := sup.Get("web"); len(v.Instances) == 1 && v.Instances[0].State.String() == "online" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no restarts or probe families after 10s: %v", slices.Sorted(maps.Keys(fams)))
		}
		time.Sleep(100 * time.Millisecond)
	}
	fams = scrape()
	for _, name := range []string{"tend_instance_up", "tend_instance_ready", "tend_instance_memory_bytes", "tend_instance_cpu_seconds_total",
		"tend_instance_processes", "tend_instance_start_time_seconds", "tend_instance_restarts_total", "tend_instance_log_lines_lost_total",
		"tend_instance_log_lines_total", "tend_instance_ipc_messages_total",
		"tend_probe_passing", "tend_probe_latency_seconds", "tend_apps", "go_goroutines", "process_resident_memory_bytes"} {
		if fams[name] == nil {
			t.Errorf("no family %s", name)
		}
	}
	value := func(name, app string, label, lv string) float64 {
		for _, m := range fams[name].GetMetric() {
			has := map[string]string{}
			for _, l := range m.Label {
				has[l.GetName()] = l.GetValue()
			}
			if has["app"] == app && has[label] == lv {
				return m.GetCounter().GetValue()
			}
		}
		return -1
	}
	testutil.WaitFor(t, 10*time.Second, "talker's lines and message counted", func() bool {
		fams = scrape()
		return value("tend_instance_log_lines_total", "talker", "stream", "out") == 2 &&
			value("tend_instance_log_lines_total", "talker", "stream", "err") == 1 &&
			value("tend_instance_ipc_messages_total", "talker", "direction", "in") == 1
	})
	allowed := []string{"app", "instance", "reason", "probe", "stream", "direction"}
	for name, f := range fams {
		if !strings.HasPrefix(name, "tend_instance") && !strings.HasPrefix(name, "tend_probe") {
			continue
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if !slices.Contains(allowed, l.GetName()) {
					t.Errorf("%s has label %s: only %v", name, l.GetName(), allowed)
				}
			}
		}
	}
	var crashReason string
	for _, m := range fams["tend_instance_restarts_total"].Metric {
		for _, l := range m.Label {
			if l.GetName() == "reason" {
				crashReason = l.GetValue()
			}
		}
		if m.GetCounter().GetValue() < 1 {
			t.Errorf("restarts_total %v < 1", m)
		}
	}
	if crashReason != "exit" {
		t.Errorf("crashy's restarts counted under reason %q, want exit", crashReason)
	}
	for _, m := range fams["tend_probe_passing"].Metric {
		if m.GetGauge().GetValue() != 1 {
			t.Errorf("web's readiness probe not passing: %v", m)
		}
	}
	// The API's request timer has the route's pattern, not its path.
	api := httptest.NewServer(srv.TCPHandler("t0ken-t0ken-t0ken-t0ken-t0ken-t0k", nil))
	defer api.Close()
	req, _ := http.NewRequest("GET", api.URL+"/v1/apps/web", nil)
	req.Header.Set("Authorization", "Bearer t0ken-t0ken-t0ken-t0ken-t0ken-t0k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fams = scrape()
	found := false
	for _, m := range fams["tend_api_request_duration_seconds"].GetMetric() {
		for _, l := range m.Label {
			if l.GetName() == "route" && l.GetValue() == "GET /v1/apps/{name}" {
				found = true
			}
		}
	}
	if !found {
		t.Error("no request duration for route GET /v1/apps/{name}")
	}
}

// shWorker is a task pool's worker in sh: each task on fd 3 answers its
// own id as the result.
const shWorker = `echo '{"type":"ready"}' >&3
while read -r line <&3; do
  id=$(echo "$line" | sed 's/.*"id":"\([^"]*\)".*/\1/')
  echo "{\"type\":\"result\",\"id\":\"$id\",\"data\":\"$id\"}" >&3
done`

// TestMetricsPool: a pool's families parse, and count its tasks.
func TestMetricsPool(t *testing.T) {
	sup, st, dir := newSupervisor(t)
	a := &spec.App{Name: "jobs", Script: "sh", Args: []string{"-c", shWorker}, Pool: &spec.Pool{}}
	if err := sup.Add([]*spec.App{a}, false); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		k, err := sup.SubmitTask("jobs", json.RawMessage(`{"n":1}`), pool.SubmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-k.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("task %s: %+v", k.ID, k.Record())
		}
		if r := k.Record(); string(r.Result) != `"`+k.ID+`"` {
			t.Fatalf("%+v", r)
		}
	}
	srv := &Server{Sup: sup, Store: st, Home: dir, Log: slog.New(slog.DiscardHandler)}
	rec := httptest.NewRecorder()
	srv.promMetrics().handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("the text parser: %v\n%s", err, rec.Body.String())
	}
	for _, name := range []string{"tend_pool_tasks_queued", "tend_pool_tasks_in_flight", "tend_pool_queue_max", "tend_pool_workers",
		"tend_pool_tasks_total", "tend_pool_task_retries_total", "tend_pool_task_latency_seconds"} {
		if fams[name] == nil {
			t.Errorf("no family %s", name)
		}
	}
	var done float64
	for _, m := range fams["tend_pool_tasks_total"].GetMetric() {
		for _, l := range m.Label {
			if l.GetName() == "outcome" && l.GetValue() == "done" {
				done = m.GetCounter().GetValue()
			}
		}
	}
	h := fams["tend_pool_task_latency_seconds"].GetMetric()[0].GetHistogram()
	if done != 3 || h.GetSampleCount() != 3 || h.GetSampleSum() <= 0 {
		t.Fatalf("done %v, latency count %d sum %v; want 3 tasks", done, h.GetSampleCount(), h.GetSampleSum())
	}
}
