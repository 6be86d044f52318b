package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// evalJS prints the ecosystem a JavaScript file exports as JSON, a key a
// line (for mapping errors back to the source). It loads CommonJS and ESM
// alike through import(), takes the default export (or module.exports),
// calls it if it is a function, and awaits a promise.
const evalJS = `
const { pathToFileURL } = require('url');
import(pathToFileURL(process.argv[1]).href)
  .then(m => (m && 'default' in m) ? m.default : m)
  .then(c => typeof c === 'function' ? c() : c)
  .then(c => { process.stdout.write(JSON.stringify(c === undefined ? null : c, null, 2)); })
  .catch(e => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
`

// DefaultJSTimeout bounds the evaluation of an ecosystem.config.js: a
// file that loops, or awaits what never comes, must not hang tend start.
const DefaultJSTimeout = 10 * time.Second

// loadJS evaluates PM2's ecosystem.config.js (.cjs, .mjs) with node and
// reads what it exports. An error in what it exports points at the key's
// line in the source where it can be found there (see sourcePos).
func loadJS(name, abs string, timeout time.Duration) (*Result, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, &Error{File: name, Msg: "reading a .js ecosystem file needs node, which is not in $PATH; install Node.js, or write the apps in ecosystem.yaml"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, node, "-e", evalJS, abs)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Its own group, killed whole at the deadline: what it forked too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, &Error{File: name, Msg: fmt.Sprintf("did not finish within %s (a loop?); nothing was started", timeout)}
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, &Error{File: name, Msg: "node could not load it:\n" + msg}
	}
	if stdout.Len() == 0 {
		return nil, &Error{File: name, Msg: "node ended before what the file exports was settled (a promise that never resolves?); export the apps, or a function or promise that gives them"}
	}
	res, err := Parse(name, stdout.Bytes())
	if err != nil {
		src, _ := os.ReadFile(abs)
		return nil, toSource(err, name, stdout.Bytes(), src)
	}
	return res, nil
}

// toSource moves the positions of err, which are lines of the JSON that
// node printed, to the source: the line where the key is written in the
// app of that name. A position that cannot be found there (a computed
// key, a spread) names the JSON as node printed it instead.
func toSource(err error, name string, js, src []byte) error {
	jsonLines := strings.Split(string(js), "\n")
	srcLines := strings.Split(string(src), "\n")
	var out []error
	for _, e := range unjoin(err) {
		ce, ok := e.(*Error)
		if !ok || ce.Line <= 0 || ce.Line > len(jsonLines) {
			out = append(out, e)
			continue
		}
		line, col := sourcePos(jsonLines, ce.Line, srcLines)
		if line == 0 {
			out = append(out, &Error{File: name + " (as evaluated by node)", Line: ce.Line, Col: ce.Col, Msg: ce.Msg})
			continue
		}
		out = append(out, &Error{File: name, Line: line, Col: col, Msg: ce.Msg})
	}
	return errors.Join(out...)
}

var jsonKeyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\s*)"((?:[^"\\]|\\.)*)":`) })

// sourcePos finds, for line n of the printed JSON, the same key in the
// source, within the app it belongs to: the key nearest the line that
// gives the app's name. 0 when it cannot be found.
func sourcePos(jsonLines []string, n int, src []string) (line, col int) {
	m := jsonKeyRE().FindStringSubmatch(jsonLines[n-1])
	if m == nil {
		return 0, 0
	}
	indent, key := len(m[1]), m[2]
	app := ""
	// The enclosing object starts at the nearest line above with less
	// indentation; its "name" is at the key's indentation.
	start := n - 1
	for start > 0 && indentOf(jsonLines[start-1]) >= indent {
		start--
	}
	for i := start; i < len(jsonLines) && (i == n-1 || indentOf(jsonLines[i]) >= indent); i++ {
		if k := jsonKeyRE().FindStringSubmatch(jsonLines[i]); k != nil && len(k[1]) == indent && k[2] == "name" {
			app = strings.Trim(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(jsonLines[i]), `"name":`)), `",`)
		}
	}
	keyRE := regexp.MustCompile(`(^|[\s{,])["']?` + regexp.QuoteMeta(key) + `["']?\s*:`)
	anchor := -1
	if app != "" {
		nameRE := regexp.MustCompile(`\bname["']?\s*:\s*["'` + "`" + `]` + regexp.QuoteMeta(app) + `["'` + "`" + `]`)
		for i, l := range src {
			if nameRE.MatchString(l) {
				anchor = i
				break
			}
		}
	}
	best, bestD := -1, len(src)+1
	for i, l := range src {
		if !keyRE.MatchString(l) {
			continue
		}
		d := 0
		if anchor >= 0 {
			d = max(i-anchor, anchor-i)
		} else if best >= 0 {
			return 0, 0 // the key appears twice and no app to tell them apart
		}
		if d < bestD {
			best, bestD = i, d
		}
	}
	if best < 0 {
		return 0, 0
	}
	loc := keyRE.FindStringIndex(src[best])
	col = loc[0] + 1
	if c := src[best][loc[0]]; c == ' ' || c == '\t' || c == '{' || c == ',' {
		col++
	}
	return best + 1, col
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

func joinErrs(errs []error) error { return errors.Join(errs...) }
