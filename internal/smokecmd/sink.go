package smokecmd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Output kept for evidence.
const (
	// tailLines is how many of the last lines are kept as evidence.
	tailLines = 40
	// lineChunk is the longest piece of a line written at once; a longer
	// line (a progress bar, a huge log line) is streamed in pieces.
	lineChunk = 64 << 10
	// writeChunk is how much output is gathered for one write at most
	// (besides the line that crosses it): writes stay small enough for the
	// log's formatter to reuse its buffers.
	writeChunk = 16 << 10
)

// sink streams the command's output, hands it line by line to the
// converter of go test output (when there is one) and keeps its last lines.
// The lines that one read of the output returns go to w in one write.
type sink struct {
	w   io.Writer
	buf []byte // lines read and not yet written to w
	// werr is the first error writing to w; nothing more is written after it.
	werr  error
	conv  *converter // nil: the output is not read for test results
	tail  [][]byte   // ring of the last tailLines lines, buffers reused
	lines int        // lines seen, the index of the next one in tail
}

func newSink(w io.Writer, conv *converter) *sink {
	return &sink{w: w, conv: conv, tail: make([][]byte, tailLines)}
}

// copyFrom reads r until it ends or fails (a closed pipe).
func (s *sink) copyFrom(r io.Reader) {
	br := bufio.NewReaderSize(r, lineChunk)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			s.line(line)
		}
		if br.Buffered() == 0 || len(s.buf) >= writeChunk {
			s.flush() // nothing more has arrived yet: write what has
		}
		if err != nil && err != bufio.ErrBufferFull {
			s.flush()
			return
		}
	}
}

// flush writes the lines read so far.
func (s *sink) flush() {
	if len(s.buf) > 0 && s.werr == nil {
		_, s.werr = s.w.Write(s.buf)
	}
	s.buf = s.buf[:0]
}

func (s *sink) line(b []byte) {
	if s.werr == nil {
		s.buf = append(s.buf, b...)
	}
	if s.conv != nil {
		s.conv.write(b)
	}
	s.tail[s.lines%tailLines] = append(s.tail[s.lines%tailLines][:0], bytes.TrimRight(b, "\r\n")...)
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
		out = append(out, string(s.tail[i%tailLines]))
	}
	return clip(strings.Join(out, "\n"))
}
