package dotenv

import "strings"

// maxExpansions bounds the rewriting of one value; dotenv-expand itself
// would loop forever on a value that keeps producing new references.
const maxExpansions = 10000

// Expand expands ${VAR}, $VAR, ${VAR:-default}, ${VAR-default},
// ${VAR:+alt} and ${VAR+alt} in pairs as dotenv-expand's expand does,
// with processEnv as the process environment: a key set (non-empty) in
// processEnv keeps processEnv's value, and processEnv wins lookups.
// \$ stands for a literal $. processEnv is not changed.
func Expand(pairs []Pair, processEnv map[string]string) []Pair {
	var parsed, running object
	for _, p := range pairs {
		parsed.set(p.Key, p.Value)
	}
	for _, k := range parsed.order() {
		value, _ := parsed.get(k)
		if pv := processEnv[k]; pv != "" && pv != value {
			value = pv
		} else {
			value = expandValue(value, processEnv, &running)
		}
		value = strings.ReplaceAll(value, `\$`, "$")
		parsed.set(k, value)
		running.set(k, value)
	}
	return parsed.pairs()
}

func expandValue(value string, processEnv map[string]string, running *object) string {
	lookup := func(k string) string {
		if v, ok := processEnv[k]; ok {
			return v
		}
		v, _ := running.get(k)
		return v
	}
	result := value
	seen := map[string]bool{}
	for range maxExpansions {
		template, expr, ok := nextReference(result)
		if !ok {
			break
		}
		seen[result] = true
		splitter := "null" // what JavaScript's split(null) splits on
		for _, op := range []string{":+", "+", ":-", "-"} {
			if i := strings.Index(expr, op); i >= 0 && (splitter == "null" || i < strings.Index(expr, splitter)) {
				splitter = op
			}
		}
		parts := strings.Split(expr, splitter)
		key, rest := parts[0], strings.Join(parts[1:], splitter)
		var def, val string
		if splitter == ":+" || splitter == "+" {
			if lookup(key) != "" {
				def = rest
			}
		} else {
			def, val = rest, lookup(key)
		}
		switch {
		case val != "" && !seen[val]:
			result = jsReplace(result, template, val)
		default:
			result = jsReplace(result, template, def)
		}
		if rv, ok := running.get(key); ok && result == rv {
			break
		}
	}
	return result
}

// nextReference finds the first $ not preceded by a backslash that starts
// ${EXPR} (EXPR without braces) or $NAME, as the regular expression
// /(?<!\\)\${([^{}]+)}|(?<!\\)\$([A-Za-z_][A-Za-z0-9_]*)/ does.
func nextReference(s string) (template, expr string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || (i > 0 && s[i-1] == '\\') {
			continue
		}
		if i+1 < len(s) && s[i+1] == '{' {
			j := i + 2
			for j < len(s) && s[j] != '{' && s[j] != '}' {
				j++
			}
			if j < len(s) && s[j] == '}' && j > i+2 {
				return s[i : j+1], s[i+2 : j], true
			}
		}
		j := i + 1
		if j < len(s) && (isAlpha(s[j]) || s[j] == '_') {
			for j < len(s) && (isAlpha(s[j]) || s[j] == '_' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			return s[i:j], s[i+1 : j], true
		}
	}
	return "", "", false
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// jsReplace is JavaScript's s.replace(pattern, repl) for a string pattern:
// the first occurrence only, with $$, $&, $` and $' in repl substituted.
func jsReplace(s, pattern, repl string) string {
	i := strings.Index(s, pattern)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for j := 0; j < len(repl); j++ {
		if repl[j] != '$' || j+1 == len(repl) {
			b.WriteByte(repl[j])
			continue
		}
		switch repl[j+1] {
		case '$':
			b.WriteByte('$')
		case '&':
			b.WriteString(pattern)
		case '`':
			b.WriteString(s[:i])
		case '\'':
			b.WriteString(s[i+len(pattern):])
		default:
			b.WriteByte('$')
			continue
		}
		j++
	}
	b.WriteString(s[i+len(pattern):])
	return b.String()
}
