package manifest

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// syntaxError reports the decoder's error for a segment at the place it
// happened.
func (p *parser) syntaxError(s segment, err error) {
	if n := p.conflictMarker(s); n > 0 {
		p.add(CheckSyntax, Pos{n, 1}, "Merge conflict markers",
			"Git merge conflict markers make this document invalid YAML: resolve the conflict and remove the <<<<<<<, ======= and >>>>>>> lines.", "")
		return
	}
	msg, hint := splitError(err)
	p.add(CheckSyntax, p.locate(s, msg, hint), "Invalid YAML",
		fmt.Sprintf("YAML syntax error: %s. %s", msg, syntaxHint(msg)), "")
}

// errorLine matches the position yaml.v3 puts in front of its messages.
var errorLine = regexp.MustCompile(`^line (\d+): `)

// splitError returns the message of a yaml.v3 error and the line it names, or
// 0. That line is where the construct being parsed started (and one less for
// parser errors), not where the problem is.
func splitError(err error) (string, int) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	m := errorLine.FindStringSubmatch(msg)
	if m == nil {
		return msg, 0
	}
	n, _ := strconv.Atoi(m[1])
	return msg[len(m[0]):], n
}

// locate finds where in a segment the decoder fails with msg: the shortest
// prefix of the segment that fails with the same message ends at the
// problem. yaml.v3 does not expose the column, and its line is the start of
// the enclosing construct. hint is that line, relative to the segment.
func (p *parser) locate(s segment, msg string, hint int) Pos {
	base := p.t.offset(s.from)
	src := p.bytes(s)
	fails := func(end int) bool {
		_, err := decodeAll(src[:end-base])
		if err == nil {
			return false
		}
		m, _ := splitError(err)
		return m == msg
	}
	through := func(line int) int { return p.t.offset(line + 1) } // end of a line, '\n' included

	// Find the first failing line: gallop from the hint, then bisect.
	// Prefixes fail from the problem on, and not before it.
	lo, hi := s.from-1, s.to // lo does not fail (empty prefix), hi does
	if !fails(through(hi)) {
		return Pos{s.from, 1}
	}
	if n := s.from + hint - 2; n > lo && n < hi {
		if fails(through(n)) {
			hi = n
		} else {
			lo = n
			for step := 1; lo+step < hi; step *= 2 {
				if fails(through(lo + step)) {
					hi = lo + step
					break
				}
				lo += step
			}
		}
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if fails(through(mid)) {
			hi = mid
		} else {
			lo = mid
		}
	}

	// Bisect the characters of that line the same way.
	var ends []int // end offsets of the line's characters
	start := p.t.offset(hi)
	for off := start; off < through(hi); {
		_, size := utf8.DecodeRune(p.t.src[off:])
		off += size
		ends = append(ends, off)
	}
	i, j := -1, len(ends)-1 // ends[j] fails; the prefix before ends[0] does not
	for j-i > 1 {
		mid := i + (j-i)/2
		if fails(ends[mid]) {
			j = mid
		} else {
			i = mid
		}
	}
	if j < 0 {
		return Pos{hi, 1}
	}
	at := start
	if j > 0 {
		at = ends[j-1]
	}
	// The prefix fails once the decoder has seen enough of the bad token
	// (all of an alias's name, the ":" after a misplaced key): point at the
	// token's start.
	for at > start && !bytes.ContainsRune([]byte(" \t\n,[]{}"), rune(p.t.src[at-1])) && p.t.src[at] != ' ' && p.t.src[at] != '\n' {
		at--
	}
	return p.t.pos(at)
}

// conflictMarker returns the first line of a segment that is a git conflict
// marker, or 0.
func (p *parser) conflictMarker(s segment) int {
	for n := s.from; n <= s.to; n++ {
		l := p.t.line(n)
		if len(l) < 7 || !bytes.ContainsRune([]byte("<=>|"), rune(l[0])) {
			continue
		}
		if bytes.Count(l[:7], l[:1]) == 7 && (len(l) == 7 || l[7] == ' ') {
			return n
		}
	}
	return 0
}

// syntaxHints say how to fix yaml.v3's most common errors.
var syntaxHints = []struct{ problem, hint string }{
	{"tab character", "Indent with spaces: YAML does not allow tabs in indentation."},
	{"found character that cannot start any token", "A value cannot start with this character (a tab, @ or `): quote the value, or indent with spaces."},
	{"mapping values are not allowed", `A plain value contains ": ", or the line is indented too far: quote the value or fix the indentation.`},
	{"did not find expected key", "This line is not aligned with the keys around it: fix its indentation."},
	{"did not find expected '-' indicator", "This line is not aligned with the list items around it: fix its indentation."},
	{"could not find expected ':'", `A key is missing its ": ", or a quoted value is not closed: add the colon or close the quote.`},
	{"found unexpected end of stream", "A quote or bracket opened here is never closed: close it."},
	{"did not find expected node content", "A value is missing or a bracket opened here is not closed: complete the value."},
	{"did not find expected ',' or", "Items of a [...] or {...} value must be separated by commas: add the comma or close the bracket."},
	{"found unexpected document indicator", `A "---" line inside a quoted value ends the document: indent it, or use a block scalar (|).`},
	{"unknown anchor", "An alias (*name) must refer to an anchor (&name) defined earlier in the same document."},
	{"control characters are not allowed", "Remove the control character (often pasted from a terminal)."},
	{"UTF-8", "Save the file as UTF-8."},
	{"found undefined tag handle", "Remove the tag or declare its handle with a %TAG directive."},
	{"exceeded max depth", "Nest values less deeply."},
}

// syntaxHint says how to fix a yaml.v3 error.
func syntaxHint(msg string) string {
	for _, h := range syntaxHints {
		if strings.Contains(msg, h.problem) {
			return h.hint
		}
	}
	return "Fix the YAML here; kubectl cannot read this document."
}

// duplicateKeys reports keys defined twice in one mapping: Kubernetes'
// YAML reader rejects them, and a merge that keeps both sides' lines often
// leaves them.
func (p *parser) duplicateKeys(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		seen := make(map[string]*yaml.Node, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			if k.Kind != yaml.ScalarNode || k.Value == "<<" {
				continue
			}
			first, ok := seen[k.Value]
			if !ok {
				seen[k.Value] = n.Content[i]
				continue
			}
			p.add(CheckSyntax, posOf(n.Content[i]), "Duplicate key",
				fmt.Sprintf("The key %q appears twice in this mapping (first at line %d), which Kubernetes rejects; a merge that keeps both sides' lines often causes this. Keep one of them.", k.Value, first.Line), "")
		}
	}
	for _, c := range n.Content {
		p.duplicateKeys(c)
	}
}
