package config

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
)

// evalJS prints the ecosystem a JavaScript file exports as JSON. It loads
// CommonJS and ESM alike through import(), takes the default export (or
// module.exports), calls it if it is a function, and awaits a promise.
const evalJS = `
const { pathToFileURL } = require('url');
import(pathToFileURL(process.argv[1]).href)
  .then(m => (m && 'default' in m) ? m.default : m)
  .then(c => typeof c === 'function' ? c() : c)
  .then(c => { process.stdout.write(JSON.stringify(c === undefined ? null : c)); })
  .catch(e => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
`

// loadJS evaluates PM2's ecosystem.config.js (.cjs, .mjs) with node and
// reads what it exports. Positions in errors are those of the JSON node
// printed, so messages name the app and key rather than lines.
func loadJS(name, abs string) (*Result, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, &Error{File: name, Msg: "reading a .js ecosystem file needs node, which is not in $PATH; install Node.js, or write the apps in ecosystem.yaml"}
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, "-e", evalJS, abs)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, &Error{File: name, Msg: "node could not load it:\n" + msg}
	}
	res, err := Parse(name+" (as evaluated by node)", stdout.Bytes())
	if err != nil {
		return nil, err
	}
	return res, nil
}

func joinErrs(errs []error) error { return errors.Join(errs...) }
