package monit

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/tend-pm/tend/internal/apitype"
)

var (
	bold     = lipgloss.NewStyle().Bold(true)
	faint    = lipgloss.NewStyle().Faint(true)
	selected = lipgloss.NewStyle().Reverse(true)
	title    = lipgloss.NewStyle().Bold(true).Underline(true)
	byState  = map[string]color.Color{
		"online": lipgloss.Color("2"), "errored": lipgloss.Color("1"), "stopped": lipgloss.Color("8"),
		"starting": lipgloss.Color("3"), "waiting": lipgloss.Color("3"), "stopping": lipgloss.Color("3"),
	}
)

func itoa(n int) string { return strconv.Itoa(n) }

// View draws the screen: a header, the list, the detail and the logs side
// by side, and a footer, each fitted to the terminal's size.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "tend monit"
	return v
}

func (m Model) render() string {
	w, h := max(m.width, 1), max(m.height, 4)
	header := m.header(w)
	footer := cut(m.footer(w), w)
	if m.showAll {
		body := clip(m.help.FullHelpView(keys.FullHelp()), w, h-4)
		return lipgloss.JoinVertical(lipgloss.Left, header, "", body, "", footer)
	}
	rest := h - lipgloss.Height(header) - lipgloss.Height(footer)
	listH := min(max(rest/2, 3), len(m.visible())+1)
	list := m.list(w, listH)
	lower := rest - lipgloss.Height(list) - 1
	if lower < 2 {
		return lipgloss.JoinVertical(lipgloss.Left, header, list, footer) // no room for the panes
	}
	detailW := w * 2 / 5
	detail := clip(m.detail(), detailW, lower)
	logs := clip(m.logPane(w-detailW-2), w-detailW-2, lower)
	pane := lipgloss.JoinHorizontal(lipgloss.Top, lipgloss.NewStyle().Width(detailW).Render(detail), "  ", logs)
	if n := lipgloss.Height(pane); n < lower {
		pane += strings.Repeat("\n", lower-n) // the footer on the last line
	}
	return lipgloss.JoinVertical(lipgloss.Left, header, list, "", pane, footer)
}

func (m Model) header(w int) string {
	var online, errored int
	apps := map[string]bool{}
	for _, in := range m.insts {
		apps[in.Name] = true
		switch in.Status {
		case "online":
			online++
		case "errored":
			errored++
		}
	}
	s := fmt.Sprintf("tend monit  %s, %s: %d online", plural(len(apps), "app"), plural(len(m.insts), "instance"), online)
	if errored > 0 {
		s += fmt.Sprintf(", %d errored", errored)
	}
	if !m.read.IsZero() {
		s += "  " + m.read.Format("15:04:05")
	}
	if m.readErr != nil {
		s += "  cannot read the daemon: " + m.readErr.Error()
	}
	return bold.Render(cut(s, w))
}

func (m Model) footer(w int) string {
	switch {
	case m.confirm != "":
		return bold.Render(cut("delete "+m.confirm+" and all its instances? y to delete, any other key to keep it", w))
	case m.typing:
		return bold.Render("/"+m.filter) + faint.Render("▏ enter to keep, esc to clear")
	}
	line := m.help.ShortHelpView(keys.ShortHelp())
	if m.status != "" {
		line = cut(m.status, w/2) + "   " + line
	}
	if m.filter != "" {
		line = faint.Render("/"+m.filter+" ") + line
	}
	return line
}

// list is the instances, the selected one reversed, scrolled to keep it
// in view.
func (m Model) list(w, h int) string {
	rows := m.visible()
	spark := max((w-74)/2, 5)
	spark = min(spark, sparkSeconds)
	head := fmt.Sprintf("%-22s %-9s %7s %6s %-*s %8s %-*s %4s %-5s", "NAME", "STATUS", "PID", "CPU", spark, "", "MEM", spark, "", "↺", "READY")
	lines := []string{faint.Render(cut(head, w))}
	sel := 0
	for i, in := range rows {
		if in.ID == m.selID {
			sel = i
		}
	}
	first := 0
	if h > 1 && sel >= first+h-1 {
		first = sel - (h - 2)
	}
	for i := first; i < len(rows) && len(lines) < h; i++ {
		in := rows[i]
		hs := m.hist[in.ID]
		status := in.Status
		if in.WaitingFor != "" {
			status = "waiting"
		}
		ready := "-"
		switch {
		case in.Status == "online" && in.NotReady:
			ready = "no"
		case in.Status == "online":
			ready = "yes"
		}
		pid, cpu, mem := "-", "-", "-"
		if in.Pid != 0 {
			pid = itoa(in.Pid)
			cpu = fmt.Sprintf("%.1f%%", in.CPU)
			mem = megabytes(in.MemoryBytes)
		}
		row := fmt.Sprintf("%-22s %-9s %7s %6s %s %8s %s %4d %-5s", cut(in.ID, 22), status, pid, cpu,
			Sparkline(Floats(hs.CPU), 1, spark, 5), mem, Sparkline(Floats(hs.RSS), 1, spark, 0), in.Restarts, ready)
		row = cut(row, w)
		if i == sel {
			row = selected.Render(row)
		} else if c, ok := byState[status]; ok {
			row = lipgloss.NewStyle().Foreground(c).Render(row)
		}
		lines = append(lines, row)
	}
	if len(rows) == 0 {
		lines = append(lines, faint.Render("no apps"+map[bool]string{true: " match the filter", false: ": tend start one"}[m.filter != ""]))
	}
	return strings.Join(lines, "\n")
}

// detail is the selected instance and its app: spec summary, tree, last
// exit and the restart decision.
func (m Model) detail() string {
	var in *apitype.Instance
	for i := range m.insts {
		if m.insts[i].ID == m.selID {
			in = &m.insts[i]
		}
	}
	if in == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(title.Render(in.ID) + "\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-10s %s\n", k, v)
		}
	}
	status := in.Status
	if in.Reason != "" {
		status += " (" + in.Reason + ")"
	}
	row("status", status)
	if a := m.app; a != nil && a.Spec != nil {
		row("command", strings.Join(a.Argv, " "))
		row("cwd", a.Spec.Cwd)
		row("restart", fmt.Sprintf("%s, %s", a.Spec.Autorestart, plural(a.Spec.Instances, "instance")))
	}
	if t := in.Tree; t != nil {
		row("tree", fmt.Sprintf("%d procs, %d threads, %d fds", t.Processes, t.Threads, t.FDs))
		row("memory", fmt.Sprintf("%s, peak %s", megabytes(t.RSS), megabytes(t.PeakRSS)))
		row("cpu", fmt.Sprintf("%.1f%%; %.1fs user, %.1fs system", t.CPUPercent, t.CPUUser, t.CPUSystem))
	}
	if in.Pid != 0 {
		row("uptime", (time.Duration(in.UptimeMS) * time.Millisecond).Round(time.Second).String())
	}
	row("restarts", in.RestartsText())
	if e := in.LastExit; e != nil {
		how := fmt.Sprintf("exit code %d", e.Code)
		if e.Signal != "" {
			how = "killed by " + e.Signal
		}
		row("last exit", how+" at "+e.Time.Local().Format("15:04:05"))
	}
	row("decision", in.Decision)
	row("waiting", in.WaitingFor)
	if p := in.Pool; p != nil {
		row("queue", fmt.Sprintf("%d queued (of %d), %d in flight on %d workers", p.Queued, p.QueueMax, p.InFlight, p.Workers))
		row("tasks", fmt.Sprintf("%d done, %d failed, %.1f/s; p50 %.1f ms, p99 %.1f ms", p.Done, p.Failed, p.Throughput, p.LatencyP50*1000, p.LatencyP99*1000))
	}
	for _, l := range in.Crash {
		b.WriteString(faint.Render("| "+l) + "\n")
	}
	return b.String()
}

func (m Model) logPane(w int) string {
	head := title.Render("logs " + m.selID)
	return head + "\n" + strings.Join(m.logs, "\n")
}

// clip keeps the last h lines of s (the newest, for logs; the detail fits
// anyway), each cut to w cells.
func clip(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > h {
		if strings.HasPrefix(lines[0], "\x1b") { // keep the pane's title
			lines = append(lines[:1], lines[len(lines)-h+1:]...)
		} else {
			lines = lines[:h]
		}
	}
	for i, l := range lines {
		lines[i] = cut(l, w)
	}
	return strings.Join(lines, "\n")
}

// cut shortens s to w cells, styles included.
func cut(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	return lipgloss.NewStyle().MaxWidth(w).Render(s)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func megabytes(b uint64) string { return fmt.Sprintf("%.1fMB", float64(b)/(1<<20)) }
