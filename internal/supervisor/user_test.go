package supervisor

import (
	"strings"
	"testing"

	"github.com/tend-pm/tend/internal/spec"
)

// A daemon that is not root refuses another user or group with a clear
// error, never a warning and the daemon's own user; its own is fine.
func TestNonRootDaemonRefusesAnotherUser(t *testing.T) {
	tests := []struct {
		user, group string
		euid        int
		want        string // "" for allowed
	}{
		{"nobody", "", 1000, `app "a": user nobody: the daemon runs as uid 1000, not root, and cannot start apps as another user`},
		{"", "nogroup", 1000, `app "a": group nogroup: the daemon runs as gid 1000, not root, and cannot start apps in another group`},
		{"65534", "", 65534, ""}, // its own uid
		{"nobody", "", 0, ""},    // root may
		{"no-such-user-tend", "", 0, `app "a": user "no-such-user-tend": no such user`},
	}
	for _, tt := range tests {
		a := &spec.App{Name: "a", Script: "x", User: tt.user, Group: tt.group}
		uid, gid := tt.euid, tt.euid
		if tt.euid == 65534 {
			gid = 65534
		}
		err := mayRunAs(a, tt.euid, uid, gid)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("user %q group %q as euid %d: %v; want allowed", tt.user, tt.group, tt.euid, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("user %q group %q as euid %d: %v; want %q", tt.user, tt.group, tt.euid, err, tt.want)
		}
	}
}
