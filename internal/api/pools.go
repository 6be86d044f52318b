package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/pool"
	"github.com/tend-pm/tend/internal/supervisor"
)

// The task pools' routes (DESIGN §10, §14): tend task and tend tasks.

// streamRoute reads its own body, a line at a time, for as long as the
// client sends: readBody leaves it alone.
const streamRoute = "POST /v1/pools/{name}/tasks/stream"

func taskOf(r pool.Record) apitype.Task {
	t := apitype.Task{ID: r.ID, Pool: r.Pool, Status: string(r.Status), Worker: r.Worker, Queued: r.Queued,
		Started: r.Started, Ended: r.Ended, Attempts: r.Attempts, Data: r.Data, Result: r.Result, Error: r.Error}
	if !r.Started.IsZero() && !r.Ended.IsZero() {
		t.Duration = r.Ended.Sub(r.Started).Seconds()
	}
	return t
}

func poolStatsOf(s pool.Stats) *apitype.PoolStats {
	return &apitype.PoolStats{Queued: s.Queued, InFlight: s.InFlight, Workers: s.Workers, QueueMax: s.QueueMax,
		Submitted: s.Submitted, Done: s.Done, Failed: s.Failed, Lost: s.Lost, Retried: s.Retried,
		Throughput: s.Throughput, LatencyP50: s.P50.Seconds(), LatencyP99: s.P99.Seconds()}
}

// taskError is the answer to a refused submit.
func taskError(err error) error {
	switch {
	case errors.Is(err, pool.ErrFull):
		return &apiError{http.StatusTooManyRequests, apitype.CodeQueueFull, err.Error()}
	case errors.Is(err, pool.ErrStopped), errors.Is(err, pool.ErrNoWorker):
		return &apiError{http.StatusServiceUnavailable, apitype.CodeUnavailable, err.Error()}
	case errors.Is(err, pool.ErrTooLarge), errors.Is(err, pool.ErrNotJSON):
		return badRequest("%v", err)
	case errors.Is(err, supervisor.ErrNoPool):
		return &apiError{http.StatusConflict, apitype.CodeConflict, err.Error()}
	case errors.Is(err, supervisor.ErrTaskUnknown):
		return &apiError{http.StatusNotFound, apitype.CodeNotFound, err.Error()}
	}
	return err
}

// postTask submits the body, one JSON value, as a task: with async=1 it
// answers at once (202, the id), else when the task has ended.
func (s *Server) postTask(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return badRequest("reading the task: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("the body is the task's data, a JSON value: {\"n\":30}")
	}
	k, err := s.Sup.SubmitTask(r.PathValue("name"), body, pool.SubmitOptions{})
	if err != nil {
		return taskError(err)
	}
	if r.URL.Query().Get("async") == "1" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		return json.NewEncoder(w).Encode(taskOf(k.Record()))
	}
	return s.waitTask(w, r, k.Done(), k.Record)
}

// waitTask answers with the task once it has ended, or as it is when the
// client gives up or the daemon stops.
func (s *Server) waitTask(w http.ResponseWriter, r *http.Request, done <-chan struct{}, rec func() pool.Record) error {
	select {
	case <-done:
	case <-r.Context().Done():
		return nil
	case <-s.Stopping:
		// The pool's Close ends it as lost; wait for that, briefly.
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	}
	return writeJSON(w, taskOf(rec()))
}

// getTask shows a task; with wait=1 it answers once the task has ended.
func (s *Server) getTask(w http.ResponseWriter, r *http.Request) error {
	name, id := r.PathValue("name"), r.PathValue("id")
	rec, done, err := s.Sup.Task(name, id)
	if err != nil {
		return taskError(err)
	}
	if r.URL.Query().Get("wait") != "1" || rec.Status.Ended() {
		return writeJSON(w, taskOf(rec))
	}
	return s.waitTask(w, r, done, func() pool.Record {
		rec, _, _ := s.Sup.Task(name, id)
		return rec
	})
}

// getTasks lists the pool's last failed tasks (failed=1), newest first.
func (s *Server) getTasks(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Get("failed") != "1" {
		return badRequest("tasks: only the failed are listed (failed=1); a task by its id is /v1/pools/NAME/tasks/ID")
	}
	recs, err := s.Sup.FailedTasks(r.PathValue("name"))
	if err != nil {
		return taskError(err)
	}
	out := make([]apitype.Task, len(recs))
	for i, rec := range recs {
		out[i] = taskOf(rec)
	}
	return writeJSON(w, out)
}

// getPool is a pool's counts.
func (s *Server) getPool(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if _, err := s.Sup.FailedTasks(name); err != nil { // the app exists and has a pool
		return taskError(err)
	}
	st, _ := s.Sup.PoolStats(name)
	return writeJSON(w, poolStatsOf(st))
}

// streamTasks reads tasks, one JSON value a line, and writes each task's
// end as a line as they come (not in order: each says its input line).
// A full queue makes the stream wait for room rather than refuse: the
// client's writes then wait too, which is the backpressure. It ends once
// the body has ended and every task of it has.
func (s *Server) streamTasks(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if _, err := s.Sup.FailedTasks(name); err != nil {
		return taskError(err)
	}
	st, err := takeOver(w, r, "application/x-ndjson")
	if err != nil {
		return err
	}
	defer st.Close()

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	out := newAnswers(st, cancel, s.Limits.orDefault().Body)
	var pending sync.WaitGroup
	tell := func(t apitype.Task) { out.add(t); out.Hold(); out.Flush() } // a refusal, from here
	br := bufio.NewReaderSize(st, 64<<10)
	var line int
	var readErr error
	for ctx.Err() == nil {
		out.waitRoom()
		st.SetReadDeadline(time.Now().Add(s.Limits.orDefault().Idle))
		b, err := readLine(br, pool.MaxTask)
		if len(bytes.TrimSpace(b)) > 0 || errors.Is(err, errLineTooLong) {
			line++
			n := line
			if errors.Is(err, errLineTooLong) {
				tell(apitype.Task{Pool: name, Status: string(pool.Failed), Line: n, Error: fmt.Sprintf("refused: a task over %d bytes", pool.MaxTask)})
			} else {
				pending.Add(1)
				_, serr := s.Sup.SubmitTask(name, b, pool.SubmitOptions{Wait: ctx, Flush: out, Notify: func(rec pool.Record) {
					t := taskOf(rec)
					t.Line, t.Data = n, nil
					out.add(t)
					pending.Done()
				}})
				if serr != nil {
					pending.Done()
					tell(apitype.Task{Pool: name, Status: string(pool.Failed), Line: n, Error: "refused: " + serr.Error()})
				}
			}
			if errors.Is(err, errLineTooLong) {
				err = nil
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
	}
	st.SetReadDeadline(time.Time{})
	tasksDone := make(chan struct{})
	go func() { pending.Wait(); close(tasksDone) }()
	select {
	case <-tasksDone:
	case <-ctx.Done():
	case <-s.Stopping:
		select {
		case <-tasksDone:
		case <-time.After(5 * time.Second):
		}
	}
	// Every task told (or the client gone): what out holds is written,
	// then the stream ends.
	cancel()
	out.close()
	if readErr != nil && r.Context().Err() == nil {
		s.Log.Warn("tasks stream: reading the body", "pool", name, "err", readErr)
	}
	return nil
}

// appendTask appends t as encoding/json writes an apitype.Task, without
// its reflection: the stream writes one a task, up to 100,000 a second.
func appendTask(b []byte, t apitype.Task) []byte {
	str := func(key, v string) {
		b = append(b, `,"`...)
		b = append(b, key...)
		b = append(b, `":`...)
		if safeJSON(v) {
			b = append(b, '"')
			b = append(b, v...)
			b = append(b, '"')
			return
		}
		q, _ := json.Marshal(v)
		b = append(b, q...)
	}
	tm := func(key string, at time.Time) {
		if at.IsZero() {
			return
		}
		b = append(b, `,"`...)
		b = append(b, key...)
		b = append(b, `":"`...)
		b = at.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	raw := func(key string, v json.RawMessage) {
		if len(v) == 0 {
			return
		}
		b = append(b, `,"`...)
		b = append(b, key...)
		b = append(b, `":`...)
		b = append(b, v...)
	}
	start := len(b) // b may hold lines before this one
	b = append(b, '{')
	str("id", t.ID)
	b = append(b[:start+1], b[start+2:]...) // no comma before the first
	str("pool", t.Pool)
	str("status", t.Status)
	if t.Worker != "" {
		str("worker", t.Worker)
	}
	tm("queued", t.Queued)
	tm("started", t.Started)
	tm("ended", t.Ended)
	if t.Duration != 0 {
		b = append(b, `,"duration":`...)
		b = strconv.AppendFloat(b, t.Duration, 'g', -1, 64)
	}
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(t.Attempts), 10)
	raw("data", t.Data)
	raw("result", t.Result)
	if t.Error != "" {
		str("error", t.Error)
	}
	if t.Line != 0 {
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, int64(t.Line), 10)
	}
	return append(b, '}')
}

// safeJSON reports whether s needs no escaping in a JSON string.
func safeJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line of at most max bytes; a longer one is skipped
// whole and reported as errLineTooLong.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > max+1 {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == nil || errors.Is(err, io.EOF) {
				return nil, errLineTooLong
			}
			return nil, err
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			buf = append(buf, chunk...)
			continue
		}
		if len(buf) > 0 {
			return append(buf, chunk...), err
		}
		return chunk, err
	}
}
