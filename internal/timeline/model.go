package timeline

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/monitor"
)

// maxReported is how many invalid intervals one error lists.
const maxReported = 10

// page is what the template and the embedded JSON are made of. The JSON
// field names are the contract with timeline.js.
type page struct {
	Title     string    `json:"title"`
	Start     time.Time `json:"start,omitzero"`
	End       time.Time `json:"end,omitzero"`
	Span      float64   `json:"span"` // seconds from Start to End
	Generated time.Time `json:"generated"`
	Counts    counts    `json:"counts"`
	Lanes     []lane    `json:"lanes"`
	Total     int       `json:"total"`
}

// counts is how many intervals there are of each level.
type counts struct {
	Error   int `json:"error"`
	Warning int `json:"warning"`
	Info    int `json:"info"`
}

// lane is the intervals of one locator of one source, ordered by start.
type lane struct {
	Source    string `json:"source"`
	Locator   string `json:"locator"`
	Intervals []span `json:"intervals"`
}

// span is one interval with its position on the axis precomputed, so the
// script does no date arithmetic of its own.
type span struct {
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	Level    monitor.Level `json:"level"`
	Message  string        `json:"message"`
	Offset   float64       `json:"offset"`   // seconds from page.Start to From
	Duration float64       `json:"duration"` // seconds from From to To
}

// validate reports every invalid interval, up to maxReported of them.
func validate(intervals []monitor.Interval) error {
	var errs []error
	bad := 0
	for i, iv := range intervals {
		err := check(iv)
		if err == nil {
			continue
		}
		bad++
		if bad <= maxReported {
			errs = append(errs, fmt.Errorf("interval %d (%s %s): %w", i, iv.Source, iv.Locator, err))
		}
	}
	if bad > maxReported {
		errs = append(errs, fmt.Errorf("and %d more invalid intervals", bad-maxReported))
	}
	return errors.Join(errs...)
}

func check(iv monitor.Interval) error {
	switch {
	case iv.Level != monitor.Info && iv.Level != monitor.Warning && iv.Level != monitor.Error:
		return fmt.Errorf("level %q is not one of info, warning, error: set Level to monitor.Info, monitor.Warning or monitor.Error", iv.Level)
	case iv.Source == "":
		return errors.New("source is empty: set Source to what recorded the interval, e.g. \"disruption\"")
	case iv.From.IsZero():
		return errors.New("from is zero: set From to when the interval began")
	case iv.To.Before(iv.From):
		return fmt.Errorf("to %s is before from %s: set To to when it ended, or to From for an instant event",
			iv.To.Format(time.RFC3339Nano), iv.From.Format(time.RFC3339Nano))
	}
	return nil
}

// build groups valid intervals into lanes: disruption lanes first, then by
// source and locator; within a lane by start, then end, then input order.
func build(title string, intervals []monitor.Interval, generated time.Time) page {
	p := page{Title: title, Generated: generated, Total: len(intervals), Lanes: []lane{}}
	if len(intervals) == 0 {
		return p
	}
	p.Start, p.End = intervals[0].From, intervals[0].To
	for _, iv := range intervals {
		if iv.From.Before(p.Start) {
			p.Start = iv.From
		}
		if iv.To.After(p.End) {
			p.End = iv.To
		}
	}
	p.Span = p.End.Sub(p.Start).Seconds()

	sorted := slices.Clone(intervals)
	monitor.SortStable(sorted, func(a, b *monitor.Interval) int {
		if c := cmp.Compare(sourceRank(a.Source), sourceRank(b.Source)); c != 0 {
			return c
		}
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		if c := strings.Compare(a.Locator, b.Locator); c != 0 {
			return c
		}
		if c := a.From.Compare(b.From); c != 0 {
			return c
		}
		return a.To.Compare(b.To)
	})
	for _, iv := range sorted {
		if n := len(p.Lanes); n == 0 || p.Lanes[n-1].Source != iv.Source || p.Lanes[n-1].Locator != iv.Locator {
			p.Lanes = append(p.Lanes, lane{Source: iv.Source, Locator: iv.Locator})
		}
		l := &p.Lanes[len(p.Lanes)-1]
		l.Intervals = append(l.Intervals, span{
			From: iv.From, To: iv.To, Level: iv.Level, Message: iv.Message,
			Offset:   iv.From.Sub(p.Start).Seconds(),
			Duration: iv.Duration().Seconds(),
		})
		switch iv.Level {
		case monitor.Error:
			p.Counts.Error++
		case monitor.Warning:
			p.Counts.Warning++
		default:
			p.Counts.Info++
		}
	}
	return p
}

// sourceRank puts the disruption lanes first: when a rollout went wrong,
// whether users saw errors is the first question.
func sourceRank(source string) int {
	if source == monitor.SourceDisruption {
		return 0
	}
	return 1
}
