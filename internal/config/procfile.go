package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/tend-pm/tend/internal/spec"
)

var procLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([A-Za-z0-9_-]+):\s*(.+)$`) })

// DefaultProcfilePort is foreman's first PORT; each next process gets 100
// more.
const DefaultProcfilePort = 5000

// loadProcfile reads a Procfile with foreman's base port: $PORT of the
// caller's environment when set (as `PORT=8000 foreman start`), else 5000.
func loadProcfile(path string) (*Result, error) {
	base := DefaultProcfilePort
	if v := os.Getenv("PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return nil, &Error{File: path, Msg: fmt.Sprintf("PORT=%q in the environment: want a port number, 1 to 65535 (the Procfile's first port; unset it for 5000)", v)}
		}
		base = n
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseProcfile(path, b, base)
}

// ParseProcfile reads `name: command` lines. Each command runs through
// /bin/sh -c, as foreman and Heroku run them, with PORT set to base,
// base+100, and so on in file order.
func ParseProcfile(name string, b []byte, base int) (*Result, error) {
	res := &Result{}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := procLine().FindStringSubmatch(line)
		if m == nil {
			errs = append(errs, &Error{File: name, Line: n, Msg: fmt.Sprintf("want `name: command`, got %q", line)})
			continue
		}
		if first, dup := seen[m[1]]; dup {
			errs = append(errs, &Error{File: name, Line: n, Msg: fmt.Sprintf("process %q is already defined on line %d", m[1], first)})
			continue
		}
		seen[m[1]] = n
		port := base + 100*len(res.Apps)
		if port > 65535 {
			errs = append(errs, &Error{File: name, Line: n, Msg: fmt.Sprintf("process %q would get PORT %d: past 65535 (start from a lower PORT)", m[1], port)})
			continue
		}
		res.Apps = append(res.Apps, &spec.App{
			Name: m[1], Script: strings.TrimSpace(m[2]), Shell: true,
			Env: map[string]string{"PORT": strconv.Itoa(port)},
		})
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &Error{File: name, Msg: err.Error()})
	}
	if len(res.Apps) == 0 && len(errs) == 0 {
		errs = append(errs, &Error{File: name, Msg: "no processes: write one `name: command` per line"})
	}
	for _, a := range res.Apps {
		if err := a.Validate(); err != nil {
			errs = append(errs, &Error{File: name, Line: seen[a.Name], Msg: err.Error()})
		}
	}
	if len(errs) > 0 {
		return nil, joinErrs(errs)
	}
	return res, nil
}
