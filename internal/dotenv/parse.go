package dotenv

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// Pair is one key and its value. Parse returns pairs in JavaScript's
// object key order, which later steps (Expand) depend on.
type Pair struct {
	Key, Value string
}

// jsSpace is JavaScript's \s.
const jsSpace = `\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

// line is dotenv's LINE regular expression with JavaScript's \s and '.'
// spelled out for RE2. Go's regexp picks the same match a backtracking
// engine does, so the groups agree with JavaScript's.
var line = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(strings.NewReplacer(`\s`, `[`+jsSpace+`]`).Replace(
		`(?m)(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*` + "`" + `(?:\\` + "`" + `|[^` + "`" + `])*` + "`" + `|[^#\r\n]+)?\s*(?:#[^\n\r\x{2028}\x{2029}]*)?(?:$|$)`))
})

// Parse reads the pairs of a .env file as dotenv.parse does.
func Parse(src string) []Pair {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	var o object
	for _, m := range line().FindAllStringSubmatch(src, -1) {
		value := strings.TrimFunc(m[2], isJSSpace)
		quote := byte(0)
		if value != "" {
			quote = value[0]
		}
		value = stripQuotes(value)
		if quote == '"' {
			value = strings.ReplaceAll(value, `\n`, "\n")
			value = strings.ReplaceAll(value, `\r`, "\r")
		}
		o.set(m[1], value)
	}
	return o.pairs()
}

// stripQuotes is value.replace(/^(['"`])([\s\S]*)\1$/mg, '$2').
func stripQuotes(v string) string {
	var b strings.Builder
	i := 0
	for i < len(v) {
		if (i == 0 || isLineEnd(v, i-1)) && strings.IndexByte("'\"`", v[i]) >= 0 {
			if j := lastClosing(v, i); j > i {
				b.WriteString(v[i+1 : j])
				i = j + 1
				continue
			}
		}
		b.WriteByte(v[i])
		i++
	}
	return b.String()
}

// lastClosing finds the last j > i where v[j] is the quote v[i] and a line
// ends after it: what the greedy [\s\S]* followed by \1$ settles on.
func lastClosing(v string, i int) int {
	for j := len(v) - 1; j > i; j-- {
		if v[j] == v[i] && (j+1 == len(v) || startsLineEnd(v[j+1:])) {
			return j
		}
	}
	return -1
}

// isLineEnd reports whether the character ending at byte i is a
// JavaScript line terminator (so a multiline ^ matches after it).
func isLineEnd(v string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(v[:i+1])
	return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
}

func startsLineEnd(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
}

func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}
