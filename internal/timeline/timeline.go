// Package timeline writes the timeline of monitor intervals as one
// self-contained HTML file: the intervals are embedded as JSON, inline
// JavaScript draws them on a time axis in SVG (one lane group per source,
// one lane per locator, disruption first), and a plain table under the
// chart, folded away once the chart is drawn, serves readers whose viewer
// blocks scripts. The file loads nothing
// from anywhere else, so it can be uploaded as a workflow artifact and
// opened offline.
package timeline

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shipgate/shipgate/internal/monitor"
)

// MaxTableRows is how many intervals the table under the chart lists; the
// chart and the embedded JSON always hold all of them.
const MaxTableRows = 1000

// Option changes how Write renders the page.
type Option func(*options)

type options struct {
	generated time.Time
}

// WithGenerated sets the "generated" time printed in the page footer;
// without it Write uses the current time. Tests pass a fixed clock so the
// output is byte-for-byte deterministic.
func WithGenerated(t time.Time) Option {
	return func(o *options) { o.generated = t }
}

// Write writes the HTML timeline of intervals under title to w. It
// validates every interval before writing anything: an interval with an
// unknown level, no source, no start, or an end before its start is an
// error that names the interval and the field.
func Write(w io.Writer, title string, intervals []monitor.Interval, opts ...Option) error {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.generated.IsZero() {
		o.generated = time.Now()
	}
	if err := validate(intervals); err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	p := build(title, intervals, o.generated)
	if err := render(w, p); err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	return nil
}

// WriteFile writes the HTML timeline of intervals to path with mode 0644,
// replacing any file there. Nothing is written when the intervals are
// invalid.
func WriteFile(path, title string, intervals []monitor.Interval, opts ...Option) error {
	var b bytes.Buffer
	if err := Write(&b, title, intervals, opts...); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	return nil
}
