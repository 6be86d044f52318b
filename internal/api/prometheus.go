package api

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/tend-pm/tend/internal/apitype"
	poolpkg "github.com/tend-pm/tend/internal/pool"
	"github.com/tend-pm/tend/internal/supervisor"
)

// Prometheus' view of the daemon: the instances, read at each scrape
// from the supervisor's snapshots (nothing runs between scrapes), and
// the daemon's own Go runtime, process and API request durations. The
// instance families carry app and instance (its number) and, where
// they count something by kind, a bounded reason, stream, direction or
// probe: never a pid or another unbounded value.
//
// The instance families are written as text here, one pass over the
// instances, as kube-state-metrics does: through client_golang each
// sample was a const metric, sorted and encoded, and a scrape of 1,000
// instances (~16,000 samples) took 19 ms, a third of it the garbage
// collection those objects set off. The daemon's own families go through
// client_golang's registry and text encoder as before.

// family is one instance family: its name, type and help, and the extra
// label of a family that counts by kind.
type family struct {
	name, kind, help, label string
}

var (
	famUp         = family{"tend_instance_up", "gauge", "1 while the instance has a process (starting, online or stopping).", ""}
	famReady      = family{"tend_instance_ready", "gauge", "1 while the instance is online and passes its readiness probe.", ""}
	famMemory     = family{"tend_instance_memory_bytes", "gauge", "Resident memory of the instance's whole process tree.", ""}
	famCPU        = family{"tend_instance_cpu_seconds_total", "counter", "CPU time (user and system) of the instance's whole process tree over all its runs, ended processes included; it starts again at 0 only when the instance is replaced (a reload, a daemon restart).", ""}
	famProcs      = family{"tend_instance_processes", "gauge", "Live processes in the instance's tree.", ""}
	famStart      = family{"tend_instance_start_time_seconds", "gauge", "When the instance's current process started, in Unix seconds.", ""}
	famRestarts   = family{"tend_instance_restarts_total", "counter", "Restarts of the instance by reason: exit, health, watchdog, not_ready, oom, cron, memory, watch.", "reason"}
	famLines      = family{"tend_instance_log_lines_total", "counter", "Output lines of the instance read from its stdout and stderr, over all its runs.", "stream"}
	famIPC        = family{"tend_instance_ipc_messages_total", "counter", "Messages on the instance's IPC channel: in, from the app; out, delivered to it by tend send.", "direction"}
	famLost       = family{"tend_instance_log_lines_lost_total", "counter", "Output lines of the instance that could not be written (a full disk).", ""}
	famProbe      = family{"tend_probe_passing", "gauge", "1 while the probe (health or readiness) passes.", "probe"}
	famProbeDelay = family{"tend_probe_latency_seconds", "gauge", "How long the probe's last check took.", "probe"}
	// The order families are written in.
	families = []*family{&famUp, &famReady, &famMemory, &famCPU, &famProcs, &famStart, &famRestarts, &famLines, &famIPC, &famLost, &famProbe, &famProbeDelay}
)

// writeInstances writes tend_apps and every instance family of apps.
func writeInstances(w *bufio.Writer, apps []supervisor.AppView) {
	w.WriteString("# HELP tend_apps Apps the daemon holds.\n# TYPE tend_apps gauge\ntend_apps ")
	w.WriteString(strconv.Itoa(len(apps)))
	w.WriteByte('\n')
	// One buffer a family, filled in one pass over the instances.
	bufs := make(map[*family][]byte, len(families))
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	for _, a := range apps {
		app := escapeLabel(a.Record.App.Name)
		for _, v := range a.Instances {
			id := strconv.Itoa(v.Instance)
			put := func(f *family, x float64, kind string) {
				b := bufs[f]
				b = append(b, f.name...)
				b = append(b, `{app="`...)
				b = append(b, app...)
				b = append(b, `",instance="`...)
				b = append(b, id...)
				if f.label != "" {
					b = append(b, `",`...)
					b = append(b, f.label...)
					b = append(b, `="`...)
					b = append(b, escapeLabel(kind)...)
				}
				b = append(b, `"} `...)
				b = strconv.AppendFloat(b, x, 'g', -1, 64)
				bufs[f] = append(b, '\n')
			}
			put(&famUp, b2f(v.State.Running()), "")
			put(&famReady, b2f(v.State == supervisor.Online && !v.NotReady), "")
			put(&famMemory, float64(v.Usage.RSS), "")
			put(&famCPU, v.CPUTotal.Seconds(), "")
			put(&famProcs, float64(v.Usage.Procs), "")
			if v.Pid != 0 && !v.Started.IsZero() {
				put(&famStart, float64(v.Started.UnixNano())/1e9, "")
			}
			for reason, n := range v.RestartsBy {
				put(&famRestarts, float64(n), reason)
			}
			put(&famLines, float64(v.LogLines[0]), "out")
			put(&famLines, float64(v.LogLines[1]), "err")
			put(&famIPC, float64(v.IPCIn), "in")
			put(&famIPC, float64(v.IPCOut), "out")
			put(&famLost, float64(v.LostLogs), "")
			for _, p := range v.Probes {
				put(&famProbe, b2f(p.Passing), p.Role)
				if !p.At.IsZero() {
					put(&famProbeDelay, p.LatencyMS/1000, p.Role)
				}
			}
		}
	}
	for _, f := range families {
		if len(bufs[f]) == 0 {
			continue
		}
		w.WriteString("# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.kind + "\n")
		w.Write(bufs[f])
	}
}

// writePools writes the task pools' families, labelled by app only.
func writePools(w *bufio.Writer, sup *supervisor.Supervisor, apps []supervisor.AppView) {
	type pool struct {
		app string
		st  apitype.PoolStats
		b   []uint64
		sum float64
	}
	var ps []pool
	for _, a := range apps {
		if st, ok := sup.PoolStats(a.Record.App.Name); ok {
			ps = append(ps, pool{escapeLabel(a.Record.App.Name), *poolStatsOf(st), st.Buckets, st.Sum.Seconds()})
		}
	}
	if len(ps) == 0 {
		return
	}
	gauge := func(name, help string, v func(p pool) float64) {
		w.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n")
		for _, p := range ps {
			w.WriteString(name + `{app="` + p.app + `"} ` + strconv.FormatFloat(v(p), 'g', -1, 64) + "\n")
		}
	}
	gauge("tend_pool_tasks_queued", "Tasks waiting in the pool's queue.", func(p pool) float64 { return float64(p.st.Queued) })
	gauge("tend_pool_tasks_in_flight", "Tasks the pool's workers are running.", func(p pool) float64 { return float64(p.st.InFlight) })
	gauge("tend_pool_queue_max", "The pool's queue_max.", func(p pool) float64 { return float64(p.st.QueueMax) })
	gauge("tend_pool_workers", "The pool's workers online and taking tasks.", func(p pool) float64 { return float64(p.st.Workers) })
	w.WriteString("# HELP tend_pool_tasks_total Tasks of the pool that ended, by outcome: done, failed, lost.\n# TYPE tend_pool_tasks_total counter\n")
	for _, p := range ps {
		for _, o := range []struct {
			k string
			n int64
		}{{"done", p.st.Done}, {"failed", p.st.Failed}, {"lost", p.st.Lost}} {
			w.WriteString(`tend_pool_tasks_total{app="` + p.app + `",outcome="` + o.k + `"} ` + strconv.FormatInt(o.n, 10) + "\n")
		}
	}
	w.WriteString("# HELP tend_pool_task_retries_total Attempts of the pool's tasks retried after a worker's crash or timeout.\n# TYPE tend_pool_task_retries_total counter\n")
	for _, p := range ps {
		w.WriteString(`tend_pool_task_retries_total{app="` + p.app + `"} ` + strconv.FormatInt(p.st.Retried, 10) + "\n")
	}
	w.WriteString("# HELP tend_pool_task_latency_seconds Tasks of the pool by their latency, submit to end.\n# TYPE tend_pool_task_latency_seconds histogram\n")
	for _, p := range ps {
		for i, le := range poolpkg.Bounds {
			w.WriteString(`tend_pool_task_latency_seconds_bucket{app="` + p.app + `",le="` + strconv.FormatFloat(le.Seconds(), 'g', -1, 64) + `"} ` + strconv.FormatUint(p.b[i], 10) + "\n")
		}
		n := strconv.FormatInt(p.st.Done+p.st.Failed, 10)
		w.WriteString(`tend_pool_task_latency_seconds_bucket{app="` + p.app + `",le="+Inf"} ` + n + "\n")
		w.WriteString(`tend_pool_task_latency_seconds_sum{app="` + p.app + `"} ` + strconv.FormatFloat(p.sum, 'g', -1, 64) + "\n")
		w.WriteString(`tend_pool_task_latency_seconds_count{app="` + p.app + `"} ` + n + "\n")
	}
}

// escapeLabel escapes a label value as the text format wants.
func escapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// promRegistry is the daemon's registry and its request timer.
type promRegistry struct {
	sup      *supervisor.Supervisor
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
}

func newPromRegistry(sup *supervisor.Supervisor) *promRegistry {
	m := &promRegistry{sup: sup, reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tend_api_request_duration_seconds",
		Help:    "How long the daemon's API took to answer, by route (its pattern) and status.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5},
	}, []string{"route", "code"})
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), m.requests)
	return m
}

// handler serves /metrics in the Prometheus text format: the instance
// families, then the registry's.
func (m *promRegistry) handler() http.Handler {
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fams, err := m.reg.Gather()
		if err != nil && len(fams) == 0 {
			http.Error(w, "gather the daemon's metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", string(format))
		bw := bufio.NewWriterSize(w, 32<<10)
		apps := m.sup.List()
		writeInstances(bw, apps)
		writePools(bw, m.sup, apps)
		enc := expfmt.NewEncoder(bw, format)
		for _, f := range fams {
			if err := enc.Encode(f); err != nil {
				return // the scraper went away
			}
		}
		bw.Flush()
	})
}

// observe times one request of route (a pattern of the route table:
// bounded) that answered code.
func (m *promRegistry) observe(route string, code int, took time.Duration) {
	if m == nil || route == "" {
		return
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Observe(took.Seconds())
}
