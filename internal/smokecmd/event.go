package smokecmd

import (
	"bytes"
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
// writes are read by a small scanner that makes strings only of the fields
// it keeps; anything else (nesting, odd syntax) goes to encoding/json. ok is
// false when the line is not a JSON object.
func decodeEvent(line []byte, names interner) (ev jsonEvent, ok bool) {
	if ev, ok, sure := scanEvent(line, names); sure {
		return ev, ok
	}
	return ev, json.Unmarshal(line, &ev) == nil
}

// interner hands out one string for each of the few names an event stream
// repeats (actions, packages), so that reading them allocates nothing.
type interner map[string]string

// maxInterned bounds an interner: a stream of ever new names is read, just
// not interned.
const maxInterned = 4096

func (in interner) of(raw []byte) string {
	if s, ok := in[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if in != nil && len(in) < maxInterned {
		in[s] = s
	}
	return s
}

// scanEvent reads a flat JSON object of string, number, boolean and null
// values. sure is false when the line needs a full JSON decoder to tell.
// names interns the action and package names; nil interns none.
func scanEvent(s []byte, names interner) (ev jsonEvent, ok, sure bool) {
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
		rawKey, escaped, next, good := scanString(s, i)
		if !good {
			return ev, false, false
		}
		key := string(rawKey) // short keys are converted on the stack
		if escaped {
			if key, good = unescape(rawKey); !good {
				return ev, false, false
			}
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
		interned := true
		switch {
		case strings.EqualFold(key, "Action"):
			field = &ev.Action
		case strings.EqualFold(key, "Package"):
			field = &ev.Package
		case strings.EqualFold(key, "ImportPath"):
			field = &ev.ImportPath
		case strings.EqualFold(key, "Output"):
			field, interned = &ev.Output, false
		}
		switch c := s[i]; {
		case c == '"':
			raw, escaped, next, good := scanString(s, i)
			if !good {
				return ev, false, false
			}
			switch {
			case field != nil && interned && !escaped && utf8.Valid(raw):
				*field = names.of(raw)
			case field != nil:
				if *field, good = decodeString(raw, escaped); !good {
					return ev, false, false
				}
			case escaped:
				if _, good = unescape(raw); !good {
					return ev, false, false
				}
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
		case bytes.HasPrefix(s[i:], []byte("true")), bytes.HasPrefix(s[i:], []byte("null")):
			if field != nil && s[i] == 't' {
				return ev, false, false
			}
			i += 4
		case bytes.HasPrefix(s[i:], []byte("false")):
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
func isNumber(s []byte) bool {
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

func skipSpace(s []byte, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// scanString finds the JSON string that starts at s[i] (a quote): its body
// as written, whether that has escapes, and the index after its closing
// quote. ok is false when it does not end or holds a control character.
func scanString(s []byte, i int) (raw []byte, escaped bool, next int, ok bool) {
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return s[i+1 : j], escaped, j + 1, true
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return nil, false, 0, false
		}
	}
	return nil, false, 0, false
}

// decodeString is the string a JSON string's body stands for, as
// encoding/json reads it (invalid UTF-8 becomes U+FFFD).
func decodeString(raw []byte, escaped bool) (string, bool) {
	n := len(raw)
	switch {
	case !escaped && utf8.Valid(raw):
		return string(raw), true
	case escaped && n >= 2 && raw[n-2] == '\\' && raw[n-1] == 'n' && bytes.IndexByte(raw[:n-2], '\\') < 0 && utf8.Valid(raw[:n-2]):
		// A line of test output: its only escape is its newline.
		return string(raw[:n-2]) + "\n", true
	}
	return unescape(raw)
}

// unescape decodes the body of a JSON string with escapes, as
// encoding/json does (invalid UTF-8 and lone surrogates become U+FFFD).
func unescape(s []byte) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			r, n := utf8.DecodeRune(s[i:])
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

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s[i:i+4]), 16, 32)
	return rune(n), err == nil
}
