package manifest

import (
	"bytes"
	"unicode/utf8"
)

// text is a file's content split into lines ('\n' ends a line, as git and
// GitHub count them).
type text struct {
	src []byte
	// starts holds the byte offset of each line: starts[0] is line 1.
	starts []int
}

func newText(src []byte) *text {
	t := &text{src: src}
	if len(src) > 0 {
		t.starts = append(t.starts, 0)
	}
	for i, b := range src {
		if b == '\n' && i+1 < len(src) {
			t.starts = append(t.starts, i+1)
		}
	}
	return t
}

// lines returns how many lines the file has.
func (t *text) lines() int { return len(t.starts) }

// offset returns the byte offset where line n starts; n may be one past the
// last line, which gives the end of the file.
func (t *text) offset(n int) int {
	if n > len(t.starts) {
		return len(t.src)
	}
	return t.starts[n-1]
}

// line returns line n without its '\n'.
func (t *text) line(n int) []byte {
	return bytes.TrimSuffix(t.src[t.offset(n):t.offset(n+1)], []byte("\n"))
}

// pos turns a byte offset into a line and a character column.
func (t *text) pos(off int) Pos {
	// The last line starting at or before off.
	lo, hi := 0, len(t.starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if t.starts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return Pos{Line: lo + 1, Column: utf8.RuneCount(t.src[t.starts[lo]:off]) + 1}
}

// clamp keeps a line inside the file.
func (t *text) clamp(n int) int {
	return max(1, min(n, t.lines()))
}

// indent returns how many spaces line n starts with.
func (t *text) indent(n int) int {
	l := t.line(n)
	return len(l) - len(bytes.TrimLeft(l, " "))
}

// blank reports whether line n holds only spaces and tabs.
func (t *text) blank(n int) bool {
	return len(bytes.Trim(t.line(n), " \t")) == 0
}

// filler reports whether line n holds no YAML content: blank, a comment or a
// document end marker.
func (t *text) filler(n int) bool {
	l := bytes.TrimLeft(t.line(n), " \t")
	return len(l) == 0 || l[0] == '#' || isMarker(t.line(n), "...")
}

// isMarker reports whether a line is the document marker m ("---" or "...")
// at column 0, alone or followed by a space or tab.
func isMarker(line []byte, m string) bool {
	return bytes.HasPrefix(line, []byte(m)) && (len(line) == 3 || line[3] == ' ' || line[3] == '\t')
}

// posMap translates the YAML decoder's positions in a segment of the file to
// file positions. They differ when the segment holds characters the decoder
// takes as line breaks but git does not: a lone '\r', NEL, LS and PS.
type posMap struct {
	first int // file line of the segment's first line
	// For each decoder line (0-based): its file line and how many characters
	// precede it on that file line. Nil when positions map one to one.
	fileLine []int
	shift    []int
}

// oddBreaks are the line breaks of the YAML decoder that git does not count.
var oddBreaks = []string{"\r", "\u0085", "\u2028", "\u2029"}

func newPosMap(seg []byte, first int) posMap {
	m := posMap{first: first}
	odd := false
	for _, b := range oddBreaks {
		odd = odd || bytes.Contains(seg, []byte(b))
	}
	if !odd {
		return m
	}
	m.fileLine, m.shift = []int{first}, []int{0}
	line, col := first, 0
	for i := 0; i < len(seg); {
		r, size := utf8.DecodeRune(seg[i:])
		i += size
		col++
		switch r {
		case '\n':
			line, col = line+1, 0
			m.fileLine, m.shift = append(m.fileLine, line), append(m.shift, 0)
		case '\r', '\u0085', '\u2028', '\u2029':
			m.fileLine, m.shift = append(m.fileLine, line), append(m.shift, col)
		}
	}
	return m
}

// at translates a decoder line and column (1-based, segment-relative).
func (m posMap) at(line, col int) (int, int) {
	if m.fileLine == nil {
		return line + m.first - 1, col
	}
	i := min(max(line-1, 0), len(m.fileLine)-1)
	return m.fileLine[i], col + m.shift[i]
}
