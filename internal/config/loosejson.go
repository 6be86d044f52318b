package config

// looseJSON blanks out what PM2 accepts in a .json ecosystem file and
// JSON does not (PM2 evaluates the file as a JavaScript expression):
// // and /* */ comments, and a comma before a closing } or ]. Every byte
// it removes becomes a space (a newline stays a newline), so an error's
// line and column still point into the file as written. Strings are
// left alone.
func looseJSON(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	lastComma := -1 // index of a comma not yet followed by anything but space
	for i := 0; i < len(out); i++ {
		switch c := out[i]; {
		case c == '"' || c == '\'':
			lastComma = -1
			for i++; i < len(out) && out[i] != c; i++ {
				if out[i] == '\\' {
					i++
				}
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			j := i
			for ; j < len(out) && !(out[j] == '*' && j+1 < len(out) && out[j+1] == '/'); j++ {
				if out[j] != '\n' {
					out[j] = ' '
				}
			}
			for k := j; k < len(out) && k < j+2; k++ {
				out[k] = ' '
			}
			i = j + 1
		case c == ',':
			lastComma = i
		case c == '}' || c == ']':
			if lastComma >= 0 {
				out[lastComma] = ' '
			}
			lastComma = -1
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			lastComma = -1
		}
	}
	return out
}
