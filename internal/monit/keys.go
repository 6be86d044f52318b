package monit

import "charm.land/bubbles/v2/key"

// keyMap is every key of the dashboard, for the keys and for ? help.
type keyMap struct {
	Up, Down, Filter, Help, Quit, ForceQuit key.Binding
	Restart, Reload, Stop, Start, Delete    key.Binding
}

var keys = keyMap{
	Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
	Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
	Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
	Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
	Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
	ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	Restart:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "restart")),
	Reload:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "reload")),
	Stop:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "stop")),
	Start:     key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "start")),
	Delete:    key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delete")),
}

// ShortHelp is the footer's line.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Restart, k.Reload, k.Stop, k.Start, k.Delete, k.Filter, k.Help, k.Quit}
}

// FullHelp is ? help.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Filter},
		{k.Restart, k.Reload, k.Stop, k.Start, k.Delete},
		{k.Help, k.Quit, k.ForceQuit},
	}
}
