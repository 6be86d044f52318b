package cli

import (
	"hash/fnv"
	"os"
)

// colors are the ANSI colours apps take in `logs` on a terminal.
var colors = []string{"\x1b[36m", "\x1b[32m", "\x1b[35m", "\x1b[34m", "\x1b[33m", "\x1b[96m"}

const (
	colorReset = "\x1b[0m"
	colorErr   = "\x1b[31m"
)

// useColor reports whether Stdout is a terminal and NO_COLOR is unset.
func useColor() bool { return os.Getenv("NO_COLOR") == "" && stdoutIsTerminal() }

// stdoutIsTerminal reports whether Stdout is a terminal.
func stdoutIsTerminal() bool {
	f, ok := Stdout.(*os.File)
	return ok && isTerminal(f.Fd())
}

// paint colours a log line's prefix by app, and marks stderr in red.
func paint(prefix, app, stream string) string {
	h := fnv.New32a()
	h.Write([]byte(app))
	c := colors[h.Sum32()%uint32(len(colors))]
	if stream == "err" {
		return c + prefix + colorReset + colorErr
	}
	return c + prefix + colorReset
}
