// Package monit is `tend monit`, the live terminal dashboard: the app
// list with status, CPU and memory sparklines from the daemon's history,
// restarts and readiness; the selected app's detail and its instance's
// logs following live; keys to restart, reload, stop, start and delete.
// It reads the daemon once a second (one list, one history of every
// instance, one show of the selected app) and renders only when
// something arrives, so it costs little on either side.
package monit

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tend-pm/tend/internal/apitype"
)

// Source is what the dashboard reads and drives: the daemon's client.
type Source interface {
	List() ([]apitype.Instance, error)
	History(name string, seconds int) ([]apitype.History, error)
	Show(name string, secrets bool) (apitype.App, error)
	Act(target, action string, req apitype.ActionRequest) (apitype.ActionResult, error)
	Reload(target string, parallel int) (apitype.ActionResult, error)
	Delete(target string) error
	Stream(ctx context.Context, path string, q url.Values, each func([]byte) error) error
}

// Every is how often the dashboard reads the daemon.
const Every = time.Second

// sparkSeconds is how much history the sparklines draw at most.
const sparkSeconds = 60

// logLines is how many lines of the selected instance the pane keeps.
const logLines = 200

// Run shows the dashboard until q or Ctrl-C.
func Run(src Source, opts ...tea.ProgramOption) error {
	_, err := tea.NewProgram(New(src), opts...).Run()
	return err
}

// Model is the dashboard's state.
type Model struct {
	src           Source
	width, height int

	insts   []apitype.Instance
	hist    map[string]apitype.History // by instance ID
	app     *apitype.App               // the selected app, shown
	readErr error                      // the last read's failure
	read    time.Time                  // when the last read came
	loading bool                       // a read is in flight

	selID  string // the selected instance, by ID, so it survives reordering
	filter string // what / typed: instances whose ID holds it
	typing bool   // the filter has the keyboard

	confirm string // "delete web": waiting for y
	showAll bool   // the full help
	help    help.Model
	status  string // the last action's outcome

	follow *follower
	logs   []string
	events *follower // the daemon's events: each one reads the list again
	dirty  bool      // an event came while a read was in flight
}

// New returns the dashboard over src.
func New(src Source) Model {
	return Model{src: src, hist: map[string]apitype.History{}, help: help.New(), width: 80, height: 24}
}

type (
	tickMsg time.Time
	dataMsg struct {
		insts []apitype.Instance
		hist  []apitype.History
		app   *apitype.App
		err   error
	}
	actionMsg struct {
		what string
		err  error
	}
)

// Init reads at once, starts the clock and follows the events.
func (m Model) Init() tea.Cmd {
	src := m.src
	return tea.Batch(m.read1(), tick(), func() tea.Msg { return eventsMsg{followEvents(src)} })
}

// eventsMsg hands the events' follower to Update.
type eventsMsg struct{ f *follower }

func tick() tea.Cmd {
	return tea.Tick(Every, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// fetch reads the list, every instance's last minute and the selected
// app, in one command off the UI's goroutine.
func (m *Model) fetch() tea.Cmd {
	m.loading = true
	return m.read1()
}

func (m Model) read1() tea.Cmd {
	src, sel := m.src, appOf(m.selID)
	return func() tea.Msg {
		var d dataMsg
		if d.insts, d.err = src.List(); d.err != nil {
			return d
		}
		d.hist, _ = src.History("", sparkSeconds)
		if sel != "" {
			if a, err := src.Show(sel, false); err == nil {
				d.app = &a
			}
		}
		return d
	}
}

// appOf is the app of an instance ID ("web:2" → "web").
func appOf(id string) string {
	if i := strings.LastIndexByte(id, ':'); i > 0 {
		return id[:i]
	}
	return id
}

// Update handles one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m, nil
	case tickMsg:
		cmds := []tea.Cmd{tick()}
		if !m.loading {
			cmds = append(cmds, m.fetch())
		}
		return m, tea.Batch(cmds...)
	case dataMsg:
		m.loading = false
		m.readErr = msg.err
		var again tea.Cmd
		if m.dirty {
			m.dirty = false
			again = m.fetch() // what the event that came meanwhile changed
		}
		if msg.err != nil {
			return m, again
		}
		m.read = time.Now()
		m.insts = msg.insts
		m.hist = make(map[string]apitype.History, len(msg.hist))
		for _, h := range msg.hist {
			m.hist[h.App+":"+itoa(h.Instance)] = h
		}
		if msg.app != nil && msg.app.Name == appOf(m.selID) {
			m.app = msg.app
		}
		return m, tea.Batch(again, m.keepSelection())
	case logMsg:
		if msg.f == m.events {
			if m.loading {
				m.dirty = true
				return m, m.events.next()
			}
			return m, tea.Batch(m.fetch(), m.events.next())
		}
		if m.follow == nil || msg.f != m.follow {
			return m, nil // a follower since replaced
		}
		m.logs = append(m.logs, msg.line)
		if over := len(m.logs) - logLines; over > 0 {
			m.logs = slices.Delete(m.logs, 0, over)
		}
		return m, msg.f.next()
	case eventsMsg:
		m.events = msg.f
		return m, m.events.next()
	case probeMsg:
		msg <- m.render()
		return m, nil
	case logEndMsg:
		if msg.f == m.follow && msg.err != nil {
			m.logs = append(m.logs, "(logs: "+msg.err.Error()+")")
		}
		return m, nil
	case actionMsg:
		m.status = msg.what
		if msg.err != nil {
			m.status = msg.what + ": " + msg.err.Error()
		}
		if m.loading {
			return m, nil
		}
		return m, m.fetch() // show the outcome now, not at the next tick
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

// key handles a key press: the confirmation first, then the filter, then
// the keys of the list.
func (m Model) key(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if key.Matches(k, keys.ForceQuit) {
		m.quit()
		return m, tea.Quit
	}
	if m.confirm != "" {
		target := m.confirm
		m.confirm = ""
		if k.String() == "y" {
			return m, m.act("delete", target)
		}
		m.status = "delete " + target + ": not done"
		return m, nil
	}
	if m.typing {
		switch k.String() {
		case "esc":
			m.typing, m.filter = false, ""
		case "enter":
			m.typing = false
		case "backspace":
			if r := []rune(m.filter); len(r) > 0 {
				m.filter = string(r[:len(r)-1])
			}
		default:
			m.filter += k.Text // a printable key; none for arrows and the like
		}
		return m, m.keepSelection()
	}
	rows := m.visible()
	i := slices.IndexFunc(rows, func(in apitype.Instance) bool { return in.ID == m.selID })
	switch {
	case key.Matches(k, keys.Quit):
		m.quit()
		return m, tea.Quit
	case key.Matches(k, keys.Help):
		m.showAll = !m.showAll
		return m, nil
	case key.Matches(k, keys.Filter):
		m.typing = true
		return m, nil
	case key.Matches(k, keys.Up):
		if i > 0 {
			m.selID = rows[i-1].ID
		}
		return m, m.keepSelection()
	case key.Matches(k, keys.Down):
		if i+1 < len(rows) {
			m.selID = rows[i+1].ID
		}
		return m, m.keepSelection()
	}
	if i < 0 {
		return m, nil
	}
	target := rows[i].ID
	switch {
	case key.Matches(k, keys.Restart):
		return m, m.act("restart", target)
	case key.Matches(k, keys.Reload):
		return m, m.act("reload", rows[i].Name) // a reload replaces every instance, one at a time
	case key.Matches(k, keys.Stop):
		return m, m.act("stop", target)
	case key.Matches(k, keys.Start):
		return m, m.act("start", target)
	case key.Matches(k, keys.Delete):
		m.confirm = rows[i].Name
		return m, nil
	}
	return m, nil
}

// act runs an action off the UI's goroutine.
func (m *Model) act(action, target string) tea.Cmd {
	m.status = action + " " + target + "…"
	src := m.src
	return func() tea.Msg {
		var err error
		switch action {
		case "delete":
			err = src.Delete(target)
		case "reload":
			_, err = src.Reload(target, 0)
		default:
			_, err = src.Act(target, action, apitype.ActionRequest{})
		}
		return actionMsg{what: action + " " + target, err: err}
	}
}

// visible is the instances the filter lets through, in the daemon's order.
func (m Model) visible() []apitype.Instance {
	f := strings.ToLower(strings.TrimSpace(m.filter))
	if f == "" {
		return m.insts
	}
	var out []apitype.Instance
	for _, in := range m.insts {
		if strings.Contains(strings.ToLower(in.ID), f) {
			out = append(out, in)
		}
	}
	return out
}

// keepSelection keeps a selected instance among the visible ones (the
// first when the selected one went) and follows its logs.
func (m *Model) keepSelection() tea.Cmd {
	rows := m.visible()
	if !slices.ContainsFunc(rows, func(in apitype.Instance) bool { return in.ID == m.selID }) {
		m.selID = ""
		if len(rows) > 0 {
			m.selID = rows[0].ID
		}
	}
	if m.app != nil && m.app.Name != appOf(m.selID) {
		m.app = nil
	}
	if m.follow != nil && m.follow.target == m.selID {
		return nil
	}
	m.stopFollow()
	m.logs = nil
	if m.selID == "" {
		return nil
	}
	m.follow = followLogs(m.src, m.selID)
	return m.follow.next()
}

// quit ends the streams.
func (m *Model) quit() {
	m.stopFollow()
	if m.events != nil {
		m.events.stop()
	}
}

// probeMsg asks for the screen as it would be drawn now (tests read it
// so, not from the terminal's diffs).
type probeMsg chan string

func (m *Model) stopFollow() {
	if m.follow != nil {
		m.follow.stop()
		m.follow = nil
	}
}
