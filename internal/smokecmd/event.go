package smokecmd

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonEvent is the part of a test2json event the converter reads.
type jsonEvent struct {
	Action     string
	Package    string
	ImportPath string
	Output     string
}

// decodeEvent reads a test2json event from one line. go test -json prints
// hundreds of thousands of these for a large suite, so the flat objects it
// writes are read by a small scanner; anything else (nesting, odd syntax)
// goes to encoding/json. ok is false when the line is not a JSON object.
func decodeEvent(line string) (ev jsonEvent, ok bool) {
	if ev, ok, sure := scanEvent(line); sure {
		return ev, ok
	}
	return ev, json.Unmarshal([]byte(line), &ev) == nil
}

// scanEvent reads a flat JSON object of string, number, boolean and null
// values. sure is false when the line needs a full JSON decoder to tell.
func scanEvent(s string) (ev jsonEvent, ok, sure bool) {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return ev, false, true
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return ev, skipSpace(s, i+1) == len(s), true
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return ev, false, false
		}
		key, next, good := scanString(s, i)
		if !good {
			return ev, false, false
		}
		i = skipSpace(s, next)
		if i >= len(s) || s[i] != ':' {
			return ev, false, false
		}
		i = skipSpace(s, i+1)
		if i >= len(s) {
			return ev, false, false
		}
		var field *string
		switch {
		case strings.EqualFold(key, "Action"):
			field = &ev.Action
		case strings.EqualFold(key, "Package"):
			field = &ev.Package
		case strings.EqualFold(key, "ImportPath"):
			field = &ev.ImportPath
		case strings.EqualFold(key, "Output"):
			field = &ev.Output
		}
		switch c := s[i]; {
		case c == '"':
			v, next, good := scanString(s, i)
			if !good {
				return ev, false, false
			}
			if field != nil {
				*field = v
			}
			i = next
		case c == '-' || '0' <= c && c <= '9':
			j := i
			for j < len(s) && strings.IndexByte("+-.eE0123456789", s[j]) >= 0 {
				j++
			}
			if !isNumber(s[i:j]) || field != nil {
				return ev, false, false
			}
			i = j
		case strings.HasPrefix(s[i:], "true"), strings.HasPrefix(s[i:], "null"):
			if field != nil && s[i] == 't' {
				return ev, false, false
			}
			i += 4
		case strings.HasPrefix(s[i:], "false"):
			if field != nil {
				return ev, false, false
			}
			i += 5
		default:
			return ev, false, false
		}
		i = skipSpace(s, i)
		switch {
		case i < len(s) && s[i] == ',':
			i = skipSpace(s, i+1)
		case i < len(s) && s[i] == '}':
			return ev, skipSpace(s, i+1) == len(s), true
		default:
			return ev, false, false
		}
	}
}

// isNumber reports whether s is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isNumber(s string) bool {
	digits := func(i int) int {
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i
	}
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = digits(i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		if j := digits(i + 1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if j := digits(i); j > i {
			i = j
		} else {
			return false
		}
	}
	return i == len(s)
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// scanString reads the JSON string that starts at s[i] (a quote) and
// returns it decoded and the index after its closing quote.
func scanString(s string, i int) (string, int, bool) {
	j := i + 1
	plain := true
	for ; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			v := s[i+1 : j]
			if !plain {
				var ok bool
				if v, ok = unescape(v); !ok {
					return "", 0, false
				}
			} else if !utf8.ValidString(v) {
				v, _ = unescape(v) // each invalid byte becomes U+FFFD
			}
			return v, j + 1, true
		case c == '\\':
			plain = false
			j++
		case c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

// unescape decodes the body of a JSON string with escapes, as
// encoding/json does (invalid UTF-8 and lone surrogates become U+FFFD).
func unescape(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			r, n := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += n
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(s, i+2); ok && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						b.WriteRune(d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b.WriteRune(r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return b.String(), true
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i:i+4], 16, 32)
	return rune(n), err == nil
}
