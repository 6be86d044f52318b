// Package apitype holds the wire types of the daemon API (DESIGN §12),
// shared by the client and the server so the CLI never links the daemon.
// It has no behaviour.
package apitype

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tend-pm/tend/internal/spec"
)

// Header names.
const (
	// HeaderBuild carries the sender's build id; the CLI compares it.
	HeaderBuild = "Tend-Build"
)

// Error codes, one per kind of failure a client branches on.
const (
	CodeUnknownApp   = "unknown-app"
	CodeNameTaken    = "name-taken"
	CodeInvalid      = "invalid"
	CodeBadRequest   = "bad-request"
	CodeForbidden    = "forbidden"
	CodeUnauthorized = "unauthorized"
	CodeNotFound     = "not-found"
	CodeInternal     = "internal"
	CodeConflict     = "conflict"
	CodeShuttingDown = "shutting-down"
	// CodeQueueFull is a task refused by a full pool queue (429).
	CodeQueueFull = "queue-full"
	// CodeUnavailable is a task refused for want of a worker, or by a
	// stopped pool (503).
	CodeUnavailable = "unavailable"
)

// Error is the body of every failed response: {"error":{...}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrorBody wraps Error.
type ErrorBody struct {
	Error Error `json:"error"`
}

// Version is GET /v1/version.
type Version struct {
	Version string    `json:"version"`
	Build   string    `json:"build"`
	Pid     int       `json:"pid"`
	Home    string    `json:"home"`
	Started time.Time `json:"started"`
	Apps    int       `json:"apps"`
	RSS     uint64    `json:"rss_bytes"` // peak resident memory
	// What must stay flat for weeks (the reliability battery's churn
	// check reads them): goroutines, open fds, and zombies among the
	// daemon's children.
	Goroutines int `json:"goroutines"`
	FDs        int `json:"fds"`
	Zombies    int `json:"zombies"`
}

// MaxBody is the most a request body may hold: the daemon answers 413
// beyond it, and the client refuses to send more.
const MaxBody = 1 << 20

// StartRequest is POST /v1/apps.
type StartRequest struct {
	Apps []*spec.App `json:"apps"`
	// CallerEnv is the caller's environment, once for every app that has
	// none of its own (each app carried a copy, and 1,000 apps' copies
	// were over the request limit).
	CallerEnv map[string]string `json:"caller_env,omitempty"`
	// Replace gives existing apps of the same name the new spec.
	Replace bool `json:"replace,omitempty"`
}

// ApplyRequest is POST /v1/apply.
type ApplyRequest struct {
	Apps []*spec.App `json:"apps"`
	// CallerEnv as in StartRequest.
	CallerEnv map[string]string `json:"caller_env,omitempty"`
	Source    string            `json:"source"`
	DryRun    bool              `json:"dry_run,omitempty"`
	// Every "reload" or "restart": tend reload|restart FILE, every app of
	// the file, none deleted.
	Every    string `json:"every,omitempty"`
	Parallel int    `json:"parallel,omitempty"`
}

// Change is one line of an apply plan.
type Change struct {
	App     string   `json:"app"`
	Action  string   `json:"action"` // added, changed, removed, unchanged
	Fields  []string `json:"fields,omitempty"`
	How     string   `json:"how,omitempty"` // reload or restart
	Warning string   `json:"warning,omitempty"`
}

// ActionRequest is POST /v1/apps/{target}/{action}.
type ActionRequest struct {
	Signal string `json:"signal,omitempty"`
	// CallerEnv, on restart, replaces the captured environment of the
	// apps (restart --update-env).
	CallerEnv map[string]string `json:"caller_env,omitempty"`
	// Instances is the new count, on scale; with Relative, the change to
	// the count, which the daemon applies under the app's lock (scale +2).
	Instances int  `json:"instances,omitempty"`
	Relative  bool `json:"relative,omitempty"`
	// Message is the JSON value to deliver, on send.
	Message json.RawMessage `json:"message,omitempty"`
	// Parallel is how many instances a reload replaces at once.
	Parallel int `json:"parallel,omitempty"`
}

// ActionResult is the answer to an action on apps (start, stop, restart,
// reload, scale, signal, send): the instances it touched, as after it,
// so a client need not list again, and warnings (a reload that cannot
// promise zero downtime).
type ActionResult struct {
	Instances []Instance `json:"instances"`
	Warnings  []string   `json:"warnings,omitempty"`
}

// Instance is one row of `tend ls`.
type Instance struct {
	// Pool is the task pool of the instance's app, when it has one (the
	// same for each of its instances).
	Pool        *PoolStats     `json:"pool,omitempty"`
	Name        string         `json:"name"`
	Namespace   string         `json:"namespace,omitempty"`
	ID          string         `json:"id"`
	Instance    int            `json:"instance"`
	Status      string         `json:"status"`
	Pid         int            `json:"pid"`
	UptimeMS    int64          `json:"uptime_ms"`
	Restarts    int            `json:"restarts"`
	CPU         float64        `json:"cpu"`
	MemoryBytes uint64         `json:"memory_bytes"`
	Processes   int            `json:"processes"`
	Reason      string         `json:"reason,omitempty"`
	Decision    string         `json:"decision,omitempty"`
	NextTry     *time.Time     `json:"next_try,omitempty"`
	LastExit    *spec.ExitInfo `json:"last_exit,omitempty"`
	Crash       []string       `json:"crash_stderr,omitempty"`
	LostLines   int64          `json:"lost_log_lines,omitempty"`
	AppStatus   string         `json:"app_status,omitempty"` // the app's own words: IPC status, sd_notify STATUS=
	ReadyBy     string         `json:"ready_by,omitempty"`   // ipc, notify, log or min_uptime
	// HeldBy says what holds the run's tree: "cgroup PATH", or "process
	// group and /proc" where no cgroup could be made.
	HeldBy string `json:"held_by,omitempty"`
	// NotReady marks an online instance that fails its readiness probe.
	NotReady bool `json:"not_ready,omitempty"`
	// Tree is the current run's whole process tree, as last measured
	// (each second); nil between runs.
	Tree *Tree `json:"tree,omitempty"`
	// CPUSecondsTotal is the CPU time of all the instance's runs, their
	// whole trees, ended processes included.
	CPUSecondsTotal float64 `json:"cpu_seconds_total"`
	// LogLines are the output lines read from the instance's stdout and
	// stderr, IPCMessages the messages on its channel from the app and
	// to it (tend send); over all its runs.
	LogLines    [2]int64 `json:"log_lines"`    // [stdout, stderr]
	IPCMessages [2]int64 `json:"ipc_messages"` // [in, out]
	// RestartsBy counts Restarts by reason: exit, health, watchdog,
	// not_ready, oom, cron, memory, watch.
	RestartsBy map[string]int `json:"restarts_by_reason,omitempty"`
	// WaitingFor, while it waits for its dependencies, says for what:
	// "waiting for db (ready)", and why that will not come by itself
	// when it will not ("…: db is errored: …").
	WaitingFor string             `json:"waiting_for,omitempty"`
	Probes     []spec.ProbeStatus `json:"probes,omitempty"`
	// Limits are the run's kernel-enforced limits with their use.
	Limits string `json:"limits,omitempty"`
	// NextRun and LastRun, for a job: its schedule's next time (none
	// while it is stopped) and this instance's last run.
	NextRun *time.Time   `json:"next_run,omitempty"`
	LastRun *spec.JobRun `json:"last_run,omitempty"`
	// NextCron is cron_restart's next time, for a running instance.
	NextCron *time.Time         `json:"next_cron_restart,omitempty"`
	Process  *spec.ProcessFacts `json:"process,omitempty"`
	OutLog   string             `json:"out_log,omitempty"`
	ErrLog   string             `json:"err_log,omitempty"`
}

// RestartsText is the restart count with its reasons, as show and monit
// print it: "5 (exit 3, health 2)".
func (i Instance) RestartsText() string {
	if len(i.RestartsBy) == 0 {
		return strconv.Itoa(i.Restarts)
	}
	parts := make([]string, 0, len(i.RestartsBy))
	for _, k := range slices.Sorted(maps.Keys(i.RestartsBy)) {
		parts = append(parts, k+" "+strconv.Itoa(i.RestartsBy[k]))
	}
	return strconv.Itoa(i.Restarts) + " (" + strings.Join(parts, ", ") + ")"
}

// Tree is a run's whole process tree: every process of its cgroup (or
// of its process group and descendants where there is none).
type Tree struct {
	Processes int    `json:"processes"`
	Threads   int    `json:"threads"`
	FDs       int    `json:"open_fds"`
	RSS       uint64 `json:"rss_bytes"`
	// PeakRSS is the highest RSS of the run, from the samples each second.
	PeakRSS uint64 `json:"peak_rss_bytes"`
	// CPUUser and CPUSystem are the run's CPU time in seconds, its ended
	// processes included: from the cgroup where there is one, else the
	// live members' own and their reaped children's, and what the
	// daemon's reaper saw of the rest.
	CPUUser    float64 `json:"cpu_user_seconds"`
	CPUSystem  float64 `json:"cpu_system_seconds"`
	CPUPercent float64 `json:"cpu_percent"` // of one core, over the last second
}

// History is GET /v1/history (?app=NAME): an instance's usage, a sample
// a second, oldest first; null where a second was not measured (the
// instance was not running).
type History struct {
	App      string     `json:"app"`
	Instance int        `json:"instance"`
	Start    time.Time  `json:"start"` // the first sample's second
	StepS    int        `json:"step_seconds"`
	CPU      []*float64 `json:"cpu_percent"`
	RSS      []*uint64  `json:"rss_bytes"`
	FDs      []*int     `json:"open_fds"`
	// RingBytes is what the instance's history takes in the daemon now
	// (at most an hour of 8-byte samples).
	RingBytes int `json:"ring_bytes"`
}

// App is GET /v1/apps/{name}: `tend show`.
type App struct {
	Name      string     `json:"name"`
	Desired   string     `json:"desired"`
	Spec      *spec.App  `json:"spec"`
	Argv      []string   `json:"argv"`
	Instances []Instance `json:"instances"`
	// Listening are the addresses the app's sockets are bound to: the
	// kernel's port for a declared port 0.
	Listening []string `json:"listening,omitempty"`
	// Runs is a job's history, the last 20 runs (and skipped times),
	// oldest first.
	Runs []spec.JobRun `json:"runs,omitempty"`
	// Pool is the app's task pool, when it has one.
	Pool *PoolStats `json:"pool,omitempty"`
}

// PoolStats are a task pool's counts: tend ls, show, /metrics.
type PoolStats struct {
	Queued    int   `json:"queued"`
	InFlight  int   `json:"in_flight"`
	Workers   int   `json:"workers"` // online and taking tasks
	QueueMax  int   `json:"queue_max"`
	Submitted int64 `json:"submitted"`
	Done      int64 `json:"done"`
	Failed    int64 `json:"failed"`
	Lost      int64 `json:"lost"`
	Retried   int64 `json:"retried"`
	// Throughput is tasks ended a second over the last 10 s.
	Throughput float64 `json:"throughput"`
	// LatencyP50 and LatencyP99 are of the last 1,024 tasks, submit to
	// end, in seconds.
	LatencyP50 float64 `json:"latency_p50"`
	LatencyP99 float64 `json:"latency_p99"`
}

// Task is one task of a pool: POST /v1/pools/NAME/tasks, tend task.
type Task struct {
	ID       string          `json:"id"`
	Pool     string          `json:"pool"`
	Status   string          `json:"status"` // queued, running, done, failed, lost
	Worker   string          `json:"worker,omitempty"`
	Queued   time.Time       `json:"queued,omitzero"`
	Started  time.Time       `json:"started,omitzero"`
	Ended    time.Time       `json:"ended,omitzero"`
	Duration float64         `json:"duration,omitempty"` // seconds, started to ended
	Attempts int             `json:"attempts"`
	Data     json.RawMessage `json:"data,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	Error    string          `json:"error,omitempty"`
	// Line is the input line of a stream (tend task --stdin) the task
	// came from, 1 the first.
	Line int `json:"line,omitempty"`
}

// LogLine is one line of GET /v1/logs (NDJSON).
type LogLine struct {
	Time     time.Time `json:"ts,omitzero"`
	App      string    `json:"app"`
	Instance int       `json:"instance"`
	Stream   string    `json:"stream"`
	Line     string    `json:"line"`
}

// ServeRequest is POST /v1/serve: tend serve. Metrics is the address of
// the TCP listener for /metrics and the read-only API ("" closes it).
type ServeRequest struct {
	Metrics string `json:"metrics"`
}

// Serving is what the TCP listener serves, after tend serve.
type Serving struct {
	Address string `json:"address,omitempty"` // as bound: the kernel's port for port 0
	Metrics string `json:"metrics_url,omitempty"`
	API     string `json:"api_url,omitempty"`
	// Token is what a client sends as "Authorization: Bearer"; /metrics
	// waives it on a loopback address.
	Token     string `json:"token,omitempty"`
	TokenFile string `json:"token_file,omitempty"`
	Web       string `json:"web_url,omitempty"` // the dashboard, behind a login with the token
	Loopback  bool   `json:"loopback"`
}
