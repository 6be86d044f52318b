package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/apitype"
	"github.com/tend-pm/tend/internal/rawio"
)

func newTaskCmd() *cobra.Command {
	var (
		asJSON, async, stdin bool
		id                   string
	)
	cmd := &cobra.Command{
		Use:   "task <pool> [data]",
		Short: "Run a task on a pool's workers and print its result",
		Long: `Run a task on a pool's workers (an app with pool:) and print its result.

The data is one JSON value: tend task thumbs '{"n":30}'. The task waits in
the pool's queue for an online worker, which gets it on its IPC channel
and answers with a result or an error. tend task waits for the answer and
prints the result; a failed task prints why and exits 1.

  --async        print the task's id at once; tend task POOL --id ID waits for it
  --id ID        wait for (or show) a task submitted before
  --stdin        read tasks from stdin, one JSON value a line, and print each
                 task's end as a JSON line as they finish (not in input order:
                 each says its input line)`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			pool := args[0]
			modes := 0
			for _, on := range []bool{len(args) == 2, id != "", stdin} {
				if on {
					modes++
				}
			}
			if modes != 1 {
				return usagef("task %s: give the task's data, --id ID or --stdin (one of them)", pool)
			}
			c, err := connect()
			if err != nil {
				return err
			}
			switch {
			case stdin:
				return streamTasks(c.TaskStream, pool)
			case id != "":
				t, err := c.TaskByID(pool, id, true)
				if err != nil {
					return daemonGone(err)
				}
				return printTask(t, asJSON)
			}
			data := []byte(args[1])
			if !json.Valid(data) {
				return usagef("task %s: %q is not JSON; a string is quoted: '\"%s\"'", pool, args[1], strings.ReplaceAll(args[1], `"`, `\"`))
			}
			t, err := c.Task(pool, data, async)
			if err != nil {
				return daemonGone(err)
			}
			if async {
				if asJSON {
					return printJSON(t)
				}
				fmt.Fprintln(Stdout, t.ID)
				return nil
			}
			return printTask(t, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the whole record: id, worker, queued, started, duration, attempts, result")
	cmd.Flags().BoolVar(&async, "async", false, "print the task's id at once, without waiting")
	cmd.Flags().StringVar(&id, "id", "", "wait for or show the task with this id")
	cmd.Flags().BoolVar(&stdin, "stdin", false, "read tasks from stdin, one JSON value a line; print each end as a JSON line")
	return cmd
}

// daemonGone says what a connection that broke while a task ran means.
func daemonGone(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return fmt.Errorf("the daemon ended before the task did: a task it had not finished is lost (the pool is not a durable queue): %w", err)
	}
	return err
}

// printTask prints an ended task's result, or why it failed (exit 1).
func printTask(t apitype.Task, asJSON bool) error {
	if asJSON {
		if err := printJSON(t); err != nil {
			return err
		}
	} else if t.Status == "done" {
		fmt.Fprintf(Stdout, "%s\n", t.Result)
	}
	switch t.Status {
	case "done":
		return nil
	case "queued", "running":
		return fmt.Errorf("task %s is still %s", t.ID, t.Status)
	}
	if asJSON {
		return exitError{ExitFailure}
	}
	where := ""
	if t.Worker != "" {
		where = ", last on " + t.Worker
	}
	return fmt.Errorf("task %s %s: %s (%s%s)", t.ID, t.Status, t.Error, plural(t.Attempts, "attempt"), where)
}

// streamTasks sends stdin's lines as tasks and prints each end as it
// comes; it exits 1 when any task did not end done.
// The answers are gathered and written when the stream has none left
// read: one write for a burst of a hundred thousand a second, and at once
// for one that ended before a slow task. Woken for its answers, it lets
// the workers and the daemon run on (yieldOnWake).
func streamTasks(send func(string, io.Reader, func([]byte) error, func()) error, pool string) error {
	w := bufio.NewWriterSize(outsideOS(Stdout), 64<<10)
	var n, bad int
	in := &lineCounter{r: os.Stdin}
	err := send(pool, in, func(line []byte) error {
		if n == 0 {
			// At the first answer, not before: a daemon this CLI
			// started on demand must not take the policy.
			yieldOnWake()
		}
		n++
		if !statusIs(line, "done") {
			bad++
		}
		w.Write(line)
		return w.WriteByte('\n')
	}, func() { w.Flush() })
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		if sent := in.lines(); n < sent {
			return fmt.Errorf("%d of %d tasks answered; the daemon's stream ended (%w): the others are lost, or still running there (the pool is not a durable queue)", n, sent, err)
		}
		return err
	}
	if bad > 0 {
		fmt.Fprintf(Stderr, "tend: %d of %d tasks did not end done (their lines say why)\n", bad, n)
		return exitError{ExitFailure}
	}
	return nil
}

// outsideOS is w, written outside the runtime's syscall entry when it is
// a file (rawio). Between two batches of answers every P of the CLI is
// idle, and a syscall entry then wakes the runtime's monitor thread,
// which looks again every 20 µs until the CLI is idle again: over fib(25)
// tasks that was most of the CLI's CPU left (20–27 µs a task, 7–13
// without; bench/pool_rounds.sh).
func outsideOS(w io.Writer) io.Writer {
	f, ok := w.(*os.File)
	if !ok {
		return w
	}
	raw, err := rawio.New(f)
	if err != nil {
		return w
	}
	return rawFile{raw, f}
}

// rawFile writes through raw. The write that finds the reader gone goes
// through os, which ends the CLI by SIGPIPE for its stdout as it does any
// Unix program's (| head).
type rawFile struct {
	raw *rawio.Conn
	f   *os.File
}

func (r rawFile) Write(p []byte) (int, error) {
	n, err := r.raw.Write(p)
	if errors.Is(err, syscall.EPIPE) {
		m, err := r.f.Write(p[n:])
		return n + m, err
	}
	return n, err
}

// lineCounter counts the lines read through it: the tasks sent.
type lineCounter struct {
	r       io.Reader
	n       int
	partial bool // the last byte read was not a newline
}

func (c *lineCounter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if n > 0 {
		c.n += bytes.Count(b[:n], []byte{'\n'})
		c.partial = b[n-1] != '\n'
	}
	return n, err
}

func (c *lineCounter) lines() int {
	if c.partial {
		return c.n + 1
	}
	return c.n
}

// statusIs reports whether a task's JSON line has status st: the first
// "status" key is the task's own, as the daemon writes the record.
func statusIs(line []byte, st string) bool {
	i := bytes.Index(line, []byte(`"status":"`))
	return i >= 0 && bytes.HasPrefix(line[i+10:], []byte(st+`"`))
}

func newTasksCmd() *cobra.Command {
	var asJSON, failed bool
	cmd := &cobra.Command{
		Use:   "tasks <pool>",
		Short: "Show a pool's queue and counts; --failed lists its last failed tasks",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			if !failed {
				a, err := c.Show(args[0], false)
				if err != nil {
					return err
				}
				if a.Pool == nil {
					return fmt.Errorf("%s has no pool (no task has been given to it, or no pool: key)", args[0])
				}
				if asJSON {
					return printJSON(a.Pool)
				}
				fmt.Fprintln(Stdout, poolLine(a.Pool))
				return nil
			}
			ts, err := c.FailedTasks(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(ts)
			}
			if len(ts) == 0 {
				fmt.Fprintf(Stdout, "no failed tasks of %s kept (the last 1,000 are)\n", args[0])
				return nil
			}
			tw := tabwriter.NewWriter(Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tENDED\tATTEMPTS\tWORKER\tSTATUS\tWHY")
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", t.ID, t.Ended.Local().Format(time.TimeOnly), t.Attempts,
					dash(t.Worker), t.Status, t.Error)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&failed, "failed", false, "list the last failed tasks, newest first, with why, attempts and worker")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// poolLine is a pool's counts in one line: ls, show, tend tasks.
func poolLine(p *apitype.PoolStats) string {
	lat := "-"
	if p.Done+p.Failed > 0 {
		lat = fmt.Sprintf("p50 %s, p99 %s", seconds(p.LatencyP50), seconds(p.LatencyP99))
	}
	s := fmt.Sprintf("%d queued (of %d), %d in flight on %d workers; %d done, %d failed", p.Queued, p.QueueMax,
		p.InFlight, p.Workers, p.Done, p.Failed)
	if p.Lost > 0 {
		s += fmt.Sprintf(", %d lost", p.Lost)
	}
	if p.Retried > 0 {
		s += fmt.Sprintf(", %d retried", p.Retried)
	}
	return s + fmt.Sprintf("; %.1f tasks/s; latency %s", p.Throughput, lat)
}

func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
