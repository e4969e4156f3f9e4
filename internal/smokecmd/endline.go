package smokecmd

import "strings"

// testEnd is a test's end line as endTestLine reads it.
type testEnd struct {
	// at is where the line's indentation starts in the text; output before
	// it on the same line belongs to the test.
	at                   int
	indent, result, name string
	seconds              string
}

// parseEnd finds the leftmost test end line in s, "--- PASS: TestA (0.01s)"
// indented by four spaces per level, as endTestLine matches it but without
// a regular expression: go test prints one per test.
func parseEnd(s string) (testEnd, bool) {
	for k := 0; ; {
		i := strings.Index(s[k:], "--- ")
		if i < 0 {
			return testEnd{}, false
		}
		k += i
		if e, ok := endAt(s, k); ok {
			return e, true
		}
		k++
	}
}

// endAt reads an end line whose "--- " is at s[k].
func endAt(s string, k int) (testEnd, bool) {
	rest := s[k+4:]
	if len(rest) < 6 || rest[4] != ':' || rest[5] != ' ' {
		return testEnd{}, false
	}
	e := testEnd{result: rest[:4]}
	if e.result != "PASS" && e.result != "FAIL" && e.result != "SKIP" {
		return testEnd{}, false
	}
	rest = rest[6:]
	n := strings.IndexByte(rest, ' ')
	if n <= 0 || !strings.HasPrefix(rest[n:], " (") {
		return testEnd{}, false
	}
	e.name, rest = rest[:n], rest[n+2:]
	d := digits(rest)
	if d == 0 || d == len(rest) || rest[d] != '.' {
		return testEnd{}, false
	}
	f := digits(rest[d+1:])
	if f == 0 {
		return testEnd{}, false
	}
	e.seconds, rest = rest[:d+1+f], rest[d+1+f:]
	if !strings.HasPrefix(rest, " seconds)") && !strings.HasPrefix(rest, "s)") {
		return testEnd{}, false
	}
	spaces := 0
	for spaces < k && s[k-1-spaces] == ' ' {
		spaces++
	}
	e.at = k - spaces/4*4
	e.indent = s[e.at:k]
	return e, true
}

// digits is how many ASCII digits s starts with.
func digits(s string) int {
	n := 0
	for n < len(s) && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	return n
}
