package gitmerge

import "bytes"

// DefaultMarkerSize is the length of git's conflict markers ("<<<<<<<")
// unless a conflict-marker-size attribute says otherwise.
const DefaultMarkerSize = 7

// LineRange is a 1-based, inclusive range of lines.
type LineRange struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// conflictRanges finds the conflict hunks git wrote into a merged file: from
// a line of n '<' (n ≥ 7, then end of line or a space and a label) to the
// next line of n '>' after a line of exactly n '='. The marker size is
// taken from each opening marker, so files with a conflict-marker-size
// attribute are found too; diff3's "|||||||" section needs nothing special.
// Lines may end in CRLF.
func conflictRanges(data []byte) []LineRange {
	var ranges []LineRange
	start, size, sawSep := 0, 0, false
	line := 0
	for len(data) > 0 {
		line++
		var text []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			text, data = data[:i], data[i+1:]
		} else {
			text, data = data, nil
		}
		text = bytes.TrimSuffix(text, []byte{'\r'})

		if n := markerRun(text, '<'); n >= DefaultMarkerSize && (start == 0 || n == size) {
			// An opening marker; a second one before the hunk closed
			// means the first was not a real hunk.
			start, size, sawSep = line, n, false
			continue
		}
		if start == 0 {
			continue
		}
		switch {
		case len(text) == size && markerRun(text, '=') == size:
			sawSep = true
		case sawSep && markerRun(text, '>') == size:
			ranges = append(ranges, LineRange{Start: start, End: line})
			start, size, sawSep = 0, 0, false
		}
	}
	return ranges
}

// markerRun returns n when text is n copies of c, alone or followed by a
// space (and a label); 0 otherwise.
func markerRun(text []byte, c byte) int {
	n := 0
	for n < len(text) && text[n] == c {
		n++
	}
	if n == 0 || n < len(text) && text[n] != ' ' {
		return 0
	}
	return n
}
