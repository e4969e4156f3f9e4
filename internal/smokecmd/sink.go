package smokecmd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Output kept for reading results and evidence.
const (
	// captureLimit bounds the output kept for reading test results.
	captureLimit = 64 << 20
	// tailLines is how many of the last lines are kept as evidence.
	tailLines = 40
	// lineChunk is the longest piece of a line written at once; a longer
	// line (a progress bar, a huge log line) is streamed in pieces.
	lineChunk = 64 << 10
)

// sink streams the command's output line by line and keeps what the
// outcome needs: the output itself (up to captureLimit) and its last lines.
type sink struct {
	w io.Writer
	// werr is the first error writing to w; nothing more is written after it.
	werr      error
	captured  bytes.Buffer
	truncated bool
	tail      []string // ring of the last tailLines lines
	lines     int      // lines seen, the index of the next one in tail
}

func newSink(w io.Writer) *sink {
	return &sink{w: w, tail: make([]string, tailLines)}
}

// copyFrom reads r until it ends or fails (a closed pipe).
func (s *sink) copyFrom(r io.Reader) {
	br := bufio.NewReaderSize(r, lineChunk)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			s.line(line)
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

func (s *sink) line(b []byte) {
	if s.werr == nil {
		_, s.werr = s.w.Write(b)
	}
	if !s.truncated && s.captured.Len()+len(b) <= captureLimit {
		s.captured.Write(b)
	} else {
		s.truncated = true
	}
	s.tail[s.lines%tailLines] = strings.TrimRight(string(b), "\r\n")
	s.lines++
}

// last returns the last tailLines lines, oldest first, with a line saying
// how many came before them.
func (s *sink) last() string {
	n := min(s.lines, tailLines)
	out := make([]string, 0, n+1)
	if s.lines > n {
		out = append(out, fmt.Sprintf("[… %d earlier lines in the log]", s.lines-n))
	}
	for i := s.lines - n; i < s.lines; i++ {
		out = append(out, s.tail[i%tailLines])
	}
	return clip(strings.Join(out, "\n"))
}
