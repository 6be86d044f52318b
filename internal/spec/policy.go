package spec

import (
	"fmt"
	"strings"
	"syscall"
)

// RestartPolicy says when an instance that ended is started again.
type RestartPolicy string

// The restart policies. The set is closed.
const (
	RestartAlways    RestartPolicy = "always"
	RestartOnFailure RestartPolicy = "on-failure"
	RestartNever     RestartPolicy = "never"
)

// ParseRestartPolicy accepts the three names and PM2's booleans.
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "always", "true", "yes":
		return RestartAlways, nil
	case "on-failure", "on_failure", "onfailure":
		return RestartOnFailure, nil
	case "never", "false", "no":
		return RestartNever, nil
	}
	return "", fmt.Errorf("invalid restart policy %q: want always, on-failure or never", s)
}

// UnmarshalText lets config files say true/false as PM2 does.
func (p *RestartPolicy) UnmarshalText(b []byte) error {
	v, err := ParseRestartPolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

var signals = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT,
	"KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2,
	"TERM": syscall.SIGTERM, "CONT": syscall.SIGCONT, "STOP": syscall.SIGSTOP,
	"TSTP": syscall.SIGTSTP, "WINCH": syscall.SIGWINCH, "ALRM": syscall.SIGALRM,
	"ABRT": syscall.SIGABRT, "PIPE": syscall.SIGPIPE, "TTIN": syscall.SIGTTIN,
	"TTOU": syscall.SIGTTOU,
}

// ParseSignal accepts "SIGTERM", "TERM", "term" or a number such as "15".
func ParseSignal(s string) (syscall.Signal, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if sig, ok := signals[strings.TrimPrefix(u, "SIG")]; ok {
		return sig, nil
	}
	var n int
	if _, err := fmt.Sscanf(u, "%d", &n); err == nil && fmt.Sprint(n) == u {
		for _, sig := range signals {
			if int(sig) == n {
				return sig, nil
			}
		}
	}
	return 0, fmt.Errorf("invalid signal %q: want a name such as SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGKILL", s)
}

// SignalName returns "SIGTERM" for syscall.SIGTERM.
func SignalName(sig syscall.Signal) string {
	for name, s := range signals {
		if s == sig {
			return "SIG" + name
		}
	}
	return fmt.Sprintf("signal %d", int(sig))
}
