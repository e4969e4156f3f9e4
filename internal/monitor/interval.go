package monitor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Level is how bad an interval is.
type Level string

// The levels of an interval.
const (
	Info    Level = "info"
	Warning Level = "warning"
	Error   Level = "error"
)

// Interval is one span of time something was in a state: a backend was
// down, a Deployment was Progressing, a pod was not Ready. An instant
// event has From equal to To.
type Interval struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Level Level     `json:"level"`
	// Source is what recorded it, e.g. "disruption", "deployment-condition",
	// "pod-readiness", "node-condition"; the timeline draws one lane group
	// per source.
	Source string `json:"source"`
	// Locator names what it is about, e.g. "ns/shop service/web
	// backend/new-connections" or "ns/shop deployment/web"; the timeline
	// draws one lane per locator.
	Locator string `json:"locator"`
	Message string `json:"message"`
}

// Duration is To minus From.
func (i Interval) Duration() time.Duration { return i.To.Sub(i.From) }

// WriteJSONLines writes one interval per line.
func WriteJSONLines(w io.Writer, intervals []Interval) error {
	enc := json.NewEncoder(w)
	for _, iv := range intervals {
		if err := enc.Encode(iv); err != nil {
			return fmt.Errorf("write intervals: %w", err)
		}
	}
	return nil
}

// ReadJSONLines reads what WriteJSONLines wrote; an error names the line.
func ReadJSONLines(r io.Reader) ([]Interval, error) {
	var out []Interval
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var iv Interval
		if err := json.Unmarshal(sc.Bytes(), &iv); err != nil {
			return nil, fmt.Errorf("read intervals: line %d: %w", n, err)
		}
		out = append(out, iv)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read intervals: %w", err)
	}
	return out, nil
}
