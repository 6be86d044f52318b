package export

import (
	"strings"
	"testing"
)

func TestDaemonUnit(t *testing.T) {
	sys := DaemonUnit{Exe: "/usr/local/bin/tend", Home: "/srv/tend", RunAs: "deploy"}
	text := sys.Text()
	for _, want := range []string{"Type=notify\n", "Restart=always\n", "KillMode=process\n", "Environment=TEND_HOME=/srv/tend\n",
		"User=deploy\n", "ExecStart=/usr/local/bin/tend daemon run\n", "WantedBy=multi-user.target\n", "After=network-online.target\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("system unit lacks %q:\n%s", want, text)
		}
	}
	user := DaemonUnit{Exe: "/home/a b/bin/tend", Home: "/home/a b/.tend", User: true, RunAs: "ab"}
	text = user.Text()
	for _, want := range []string{`ExecStart="/home/a b/bin/tend" daemon run`, `Environment="TEND_HOME=/home/a b/.tend"`, "WantedBy=default.target\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("user unit lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "User=") || strings.Contains(text, "network-online") {
		t.Errorf("a user unit names a user or a system target:\n%s", text)
	}
	for _, tc := range []struct {
		home string
		dflt bool
		want string
	}{
		{"/root/.tend", true, "tend.service"},
		{"/srv/tend", false, "tend-tend.service"},
		{"/tmp/x/home", false, "tend-home.service"},
		{"/tmp/my home!/", false, "tend-my-home-.service"},
	} {
		if got := (DaemonUnit{Home: tc.home}).Name(tc.dflt); got != tc.want {
			t.Errorf("Name(%q, %v) = %q, want %q", tc.home, tc.dflt, got, tc.want)
		}
	}
}
