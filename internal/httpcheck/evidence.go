package httpcheck

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Evidence limits: how many body lines, and how long a line, are shown.
const (
	evidenceLines   = 5
	evidenceLineLen = 200
)

// String is the observation in one line: method, target, status (or error)
// and latency, e.g. "GET service/shop/web:80/healthz: 500 Internal Server
// Error in 12ms".
func (o Observation) String() string {
	if o.Status == 0 {
		return fmt.Sprintf("%s %s: no response after %s: %v", o.Method, o.Target, FormatLatency(o.Latency), o.Err)
	}
	s := fmt.Sprintf("%s %s: %d %s in %s", o.Method, o.Target, o.Status, http.StatusText(o.Status), FormatLatency(o.Latency))
	if o.Err != nil {
		s += fmt.Sprintf(" (%v)", o.Err)
	}
	return s
}

// Evidence is the observation as a failure shows it: its String line, then
// the first lines of the body, indented.
func (o Observation) Evidence() string {
	if o.Status == 0 {
		return o.String()
	}
	return o.String() + "\n" + BodyExcerpt(o.Body, o.Truncated)
}

// BodyExcerpt renders the first lines of a body for evidence, each cut to a
// readable length, with a header saying how much of the body is shown.
func BodyExcerpt(body []byte, truncated bool) string {
	if len(body) == 0 {
		return "body: empty"
	}
	if !utf8.Valid(body) {
		return fmt.Sprintf("body: %d bytes, not text", len(body))
	}
	text := strings.TrimRight(string(body), "\n")
	lines := strings.Split(text, "\n")
	head := fmt.Sprintf("body (%d bytes):", len(body))
	switch {
	case truncated:
		head = fmt.Sprintf("body (over %d KiB, first lines):", MaxBody>>10)
	case len(lines) > evidenceLines:
		head = fmt.Sprintf("body (%d bytes, first %d of %d lines):", len(body), evidenceLines, len(lines))
	}
	lines = lines[:min(len(lines), evidenceLines)]
	var b bytes.Buffer
	b.WriteString(head)
	for _, l := range lines {
		l = strings.TrimRight(l, "\r")
		if utf8.RuneCountInString(l) > evidenceLineLen {
			l = string([]rune(l)[:evidenceLineLen]) + "…"
		}
		b.WriteString("\n  " + l)
	}
	return b.String()
}

// FormatLatency renders a duration as evidence shows latencies: whole
// milliseconds from 1ms up, microseconds below.
func FormatLatency(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Microsecond:
		return d.Round(time.Microsecond).String()
	}
	return d.String()
}
