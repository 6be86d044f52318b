package supervisor

import (
	"fmt"
	"strings"
	"testing"
)

var nodeCrash = strings.Split(`/srv/app.js:3
    throw new Error('cannot reach the database');
    ^

Error: cannot reach the database
    at Object.<anonymous> (/srv/app.js:3:11)
    at Module._compile (node:internal/modules/cjs/loader:1364:14)
    at Module._extensions..js (node:internal/modules/cjs/loader:1422:10)
    at Module.load (node:internal/modules/cjs/loader:1203:32)
    at Module._load (node:internal/modules/cjs/loader:1019:12)
    at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:128:12)
    at node:internal/main/run_main_module:28:49 {
  code: 'ECONNREFUSED',
  errno: -111,
  syscall: 'connect',
  address: '127.0.0.1',
  port: 5432
}

Node.js v20.20.2`, "\n")

var pythonCrash = strings.Split(`Traceback (most recent call last):
  File "/srv/worker.py", line 9, in <module>
    main()
  File "/srv/worker.py", line 6, in main
    raise ValueError("queue name missing")
ValueError: queue name missing`, "\n")

func TestSummaryNamesTheError(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"node", nodeCrash, "Error: cannot reach the database | at Object.<anonymous> (/srv/app.js:3:11) | at Module._compile (node:internal/modules/cjs/loader:1364:14)"},
		{"python", pythonCrash, `File "/srv/worker.py", line 6, in main | raise ValueError("queue name missing") | ValueError: queue name missing`},
		{"go", []string{"panic: runtime error: index out of range [3] with length 0", "", "goroutine 1 [running]:", "main.main()"}, "panic: runtime error: index out of range [3] with length 0"},
		{"plain", []string{"starting", "config: missing DATABASE_URL", "exiting"}, "starting | config: missing DATABASE_URL | exiting"},
		{"typed", []string{"x", "TypeError [ERR_INVALID_ARG_TYPE]: The \"path\" argument must be of type string", "    at a (b.js:1:1)", "    at c (d.js:2:2)"}, "TypeError [ERR_INVALID_ARG_TYPE]: The \"path\" argument must be of type string | at a (b.js:1:1) | at c (d.js:2:2)"},
	}
	for _, tt := range tests {
		lines := append([]string{}, tt.lines...)
		if got := summary(lines); got != tt.want {
			t.Errorf("summary(%s) = %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestExcerptKeepsTheErrorLine(t *testing.T) {
	if got := excerpt(nodeCrash, 30); len(got) != len(nodeCrash) {
		t.Errorf("a short report is cut: %d of %d lines", len(got), len(nodeCrash))
	}
	got := excerpt(nodeCrash, 10)
	if len(got) != 10 || got[0] != "Error: cannot reach the database" || got[6] != "…" || got[9] != "Node.js v20.20.2" {
		t.Errorf("excerpt(node, 10) = %q; want the error line, frames, …, the end", got)
	}
	var long []string
	for i := range 50 {
		long = append(long, fmt.Sprintf("line %d", i))
	}
	if got := excerpt(long, 20); got[0] != "line 30" || len(got) != 20 {
		t.Errorf("with no error line the excerpt is the tail: %q", got)
	}
}
