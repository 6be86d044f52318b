package cli

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
)

// printPools prints each pool's counts under ls's table.
func printPools(ins []apitype.Instance) {
	seen := map[string]bool{}
	for _, i := range ins {
		if i.Pool == nil || seen[i.Name] {
			continue
		}
		seen[i.Name] = true
		fmt.Fprintf(Stdout, "pool %s: %s\n", i.Name, poolLine(i.Pool))
	}
}

func printJSON(v any) error {
	enc := json.NewEncoder(Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printRawJSON prints a JSON document as printJSON prints a value.
func printRawJSON(raw []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		return fmt.Errorf("read daemon reply: %w", err)
	}
	b.WriteByte('\n')
	_, err := Stdout.Write(b.Bytes())
	return err
}

// printTable prints instances as `tend ls` does.
func printTable(ins []apitype.Instance) {
	if len(ins) == 0 {
		fmt.Fprintln(Stdout, "no apps; start one with `tend start <program>`")
		return
	}
	// The apps' own status words (IPC status, sd_notify STATUS=) get a
	// column when any app has some.
	says, spaced := false, false // (and namespaces, when any app has one)
	for _, i := range ins {
		says = says || i.AppStatus != ""
		spaced = spaced || i.Namespace != ""
	}
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	head := "NAME\tID\tSTATUS\tPID\tUPTIME\tRESTARTS\tCPU\tMEM"
	if spaced {
		head = "NAME\tNAMESPACE\tID\tSTATUS\tPID\tUPTIME\tRESTARTS\tCPU\tMEM"
	}
	if says {
		head += "\tAPP STATUS"
	}
	fmt.Fprintln(tw, head)
	for _, i := range ins {
		pid, up, cpu, mem := "-", "-", "-", "-"
		if i.Pid != 0 {
			pid = fmt.Sprint(i.Pid)
			up = human(time.Duration(i.UptimeMS) * time.Millisecond)
			cpu = fmt.Sprintf("%.1f%%", i.CPU)
			if i.MemoryBytes > 0 {
				mem = bytesHuman(i.MemoryBytes)
			}
		}
		name := i.Name
		if spaced {
			name += "\t" + cmp.Or(i.Namespace, "-")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s", name, i.ID, statusOf(i), pid, up, i.Restarts, cpu, mem)
		if says {
			fmt.Fprintf(tw, "\t%s", i.AppStatus)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	defer printPools(ins)
	if !useColor() {
		Stdout.Write(table.Bytes())
		return
	}
	// Colour each status cell once the columns are laid out (escape codes
	// inside the tabwriter would count as width).
	lines := strings.SplitAfter(table.String(), "\n")
	col := strings.Index(lines[0], "STATUS")
	for k, l := range lines {
		if k > 0 && k <= len(ins) {
			l = paintStatus(l, col, statusOf(ins[k-1]), ins[k-1].Status)
		}
		io.WriteString(Stdout, l)
	}
}

// stateColors colour a status as pm2 ls does: online green, errored red,
// stopped grey, the ones on their way yellow.
var stateColors = map[string]string{
	"online": "\x1b[32m", "errored": "\x1b[31m", "stopped": "\x1b[90m",
	"starting": "\x1b[33m", "stopping": "\x1b[33m", "waiting": "\x1b[33m",
}

// paintStatus colours the status cell (text, at column col) of line by
// state.
func paintStatus(line string, col int, text, state string) string {
	c, ok := stateColors[state]
	if !ok || col < 0 || col+len(text) > len(line) || line[col:col+len(text)] != text {
		return line
	}
	return line[:col] + c + text + colorReset + line[col+len(text):]
}

// statusOf is an instance's status as the table shows it.
func statusOf(i apitype.Instance) string {
	switch {
	case i.NotReady:
		return i.Status + " (not ready)"
	case i.NextRun != nil || i.LastRun != nil:
		return jobStatus(i)
	case i.WaitingFor != "":
		// "waiting for db (ready)"; what failed is show's to tell.
		short, failed, _ := strings.Cut(i.WaitingFor, ": ")
		if failed != "" {
			short += ", which failed"
		}
		return short
	}
	return i.Status
}

// human prints a duration the way people read uptimes: 45s, 3m, 2h, 4d.
func human(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func bytesHuman(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%dB", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%cB", float64(b)/float64(div), "KMGTPE"[exp])
}

func indent(lines []string, prefix string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}
