package supervisor

import (
	"regexp"
	"strings"
)

// errorLineRE matches the line that names an error in the usual crash
// reports: Node's and Java's "Error: msg" (TypeError, Uncaught …),
// Python's last "ValueError: msg", Go's "panic:" and "fatal error:".
var errorLineRE = regexp.MustCompile(`^(Uncaught )?([A-Z][\w.]*)?(Error|Exception)(\s*\[[\w-]+\])?(:|$)|^panic: |^fatal error: `)

// errorAt is the index of the last line of lines that names an error,
// or -1.
func errorAt(lines []string) int {
	for i := len(lines) - 1; i >= 0; i-- {
		if errorLineRE.MatchString(lines[i]) {
			return i
		}
	}
	return -1
}

// excerpt is what a crash report keeps of the last lines of stderr: the
// last n, unless the line naming the error is older; then that line and
// the frames after it, "…", and the end. A Node crash ends with ten lines
// of frames and "Node.js v20": its last lines alone never say what
// failed (issue 10).
func excerpt(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	tail := lines[len(lines)-n:]
	i := errorAt(lines)
	if i < 0 || i >= len(lines)-n {
		return tail
	}
	head := lines[i:min(i+6, len(lines)-n)]
	keep := n - len(head) - 1
	out := append([]string{}, head...)
	out = append(out, "…")
	return append(out, lines[len(lines)-keep:]...)
}

// summary is a crash in one line, for a message: the line naming the
// error and the two around it that say where (the frames after it, or
// for Python the one before), else the last three lines.
func summary(lines []string) string {
	i := errorAt(lines)
	var pick []string
	switch {
	case i < 0:
		pick = lines[max(0, len(lines)-3):]
	case i+2 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i+1]), "at "):
		pick = lines[i : i+3] // Node and Java: frames follow
	default:
		pick = lines[max(0, i-2) : i+1] // Python: frames come first
	}
	for j := range pick {
		pick[j] = strings.TrimSpace(pick[j])
	}
	return strings.Join(pick, " | ")
}
