// Package apitype holds the wire types of the daemon API (DESIGN §12),
// shared by the client and the server so the CLI never links the daemon.
// It has no behaviour.
package apitype

import (
	"encoding/json"
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
	CodeNotFound     = "not-found"
	CodeInternal     = "internal"
	CodeConflict     = "conflict"
	CodeShuttingDown = "shutting-down"
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
	NotReady bool               `json:"not_ready,omitempty"`
	Probes   []spec.ProbeStatus `json:"probes,omitempty"`
	// Limits are the run's kernel-enforced limits with their use.
	Limits string `json:"limits,omitempty"`
	// NextCron is cron_restart's next time, for a running instance.
	NextCron *time.Time         `json:"next_cron_restart,omitempty"`
	Process  *spec.ProcessFacts `json:"process,omitempty"`
	OutLog   string             `json:"out_log,omitempty"`
	ErrLog   string             `json:"err_log,omitempty"`
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
}

// LogLine is one line of GET /v1/logs (NDJSON).
type LogLine struct {
	Time     time.Time `json:"ts,omitzero"`
	App      string    `json:"app"`
	Instance int       `json:"instance"`
	Stream   string    `json:"stream"`
	Line     string    `json:"line"`
}
