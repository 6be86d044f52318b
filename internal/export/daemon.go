// Package export writes what other systems run from tend's own terms:
// the systemd unit that keeps the daemon up across reboots (tend
// startup). It only generates text; the CLI writes and enables it.
package export

import (
	"fmt"
	"strings"
)

// DaemonUnit describes the unit of a daemon.
type DaemonUnit struct {
	Exe  string // the tend binary, absolute
	Home string // TEND_HOME
	// User is true for a user unit (systemctl --user), false for a
	// system unit.
	User bool
	// RunAs, for a system unit, is the user the daemon runs as ("" or
	// root: root).
	RunAs string
}

// Name is the unit's file name: tend.service for the default home,
// else tend-<the home's base name>.service, so two homes get two units.
func (u DaemonUnit) Name(defaultHome bool) string {
	if defaultHome {
		return "tend.service"
	}
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, strings.TrimPrefix(lastElem(u.Home), "."))
	return "tend-" + base + ".service"
}

func lastElem(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// Text is the unit file. The daemon says READY=1 once every stored app
// is restored (Type=notify); systemd restarts it 100 ms after any end
// (Restart=always), so after a kill -9 its apps, which die with it
// (Pdeathsig), are back within the restore's time. KillMode=process:
// systemd signals the daemon only, which stops its apps in their order
// and within their kill_timeout; TimeoutStopSec leaves it the time.
// Delegate=yes lets it make a cgroup per run under the unit's.
func (u DaemonUnit) Text() string {
	var b strings.Builder
	target := "multi-user.target"
	if u.User {
		target = "default.target"
	}
	fmt.Fprintf(&b, "[Unit]\n")
	fmt.Fprintf(&b, "Description=tend, the process manager (TEND_HOME=%s)\n", u.Home)
	fmt.Fprintf(&b, "Documentation=https://github.com/tend-pm/tend\n")
	if !u.User {
		fmt.Fprintf(&b, "After=network-online.target\nWants=network-online.target\n")
	}
	fmt.Fprintf(&b, "\n[Service]\n")
	fmt.Fprintf(&b, "Type=notify\n")
	fmt.Fprintf(&b, "NotifyAccess=main\n")
	fmt.Fprintf(&b, "Environment=%s\n", quoteEnv("TEND_HOME="+u.Home))
	if !u.User && u.RunAs != "" && u.RunAs != "root" {
		fmt.Fprintf(&b, "User=%s\n", u.RunAs)
	}
	fmt.Fprintf(&b, "ExecStart=%s daemon run\n", quoteArg(u.Exe))
	fmt.Fprintf(&b, "ExecReload=/bin/kill -HUP $MAINPID\n")
	fmt.Fprintf(&b, "Restart=always\n")
	fmt.Fprintf(&b, "RestartSec=100ms\n")
	fmt.Fprintf(&b, "KillMode=process\n")
	fmt.Fprintf(&b, "TimeoutStopSec=5min\n")
	fmt.Fprintf(&b, "Delegate=yes\n")
	fmt.Fprintf(&b, "LimitNOFILE=1048576\n")
	fmt.Fprintf(&b, "\n[Install]\n")
	fmt.Fprintf(&b, "WantedBy=%s\n", target)
	return b.String()
}

// quoteArg is one word of a command line or a path as systemd reads it:
// double-quoted when empty or holding a blank, a quote, a backslash or
// ';' (with \ and " escaped), and $ and % doubled, which systemd would
// expand even unquoted.
func quoteArg(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"'\\;") {
		s = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return strings.NewReplacer(`$`, `$$`, `%`, `%%`).Replace(s)
}

// quoteEnv quotes one Environment= assignment when it needs it.
func quoteEnv(kv string) string {
	if !strings.ContainsAny(kv, " \t\"'\\$%") {
		return kv
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `%`, `%%`).Replace(kv) + `"`
}
