package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/tend-pm/tend/internal/spec"
)

var procLine = regexp.MustCompile(`^([A-Za-z0-9_-]+):\s*(.+)$`)

// procfileBasePort is foreman's first PORT; each next process gets 100
// more.
const procfileBasePort = 5000

func loadProcfile(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseProcfile(path, b)
}

// ParseProcfile reads `name: command` lines. Each command runs through
// /bin/sh -c, as foreman and Heroku run them, with PORT set to 5000, 5100,
// and so on in file order.
func ParseProcfile(name string, b []byte) (*Result, error) {
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
		m := procLine.FindStringSubmatch(line)
		if m == nil {
			errs = append(errs, &Error{File: name, Line: n, Msg: fmt.Sprintf("want `name: command`, got %q", line)})
			continue
		}
		if first, dup := seen[m[1]]; dup {
			errs = append(errs, &Error{File: name, Line: n, Msg: fmt.Sprintf("process %q is already defined on line %d", m[1], first)})
			continue
		}
		seen[m[1]] = n
		port := procfileBasePort + 100*len(res.Apps)
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
