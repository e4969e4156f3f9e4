package rules

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/shipgate/shipgate/internal/monitor"
)

// Source is the monitor source of rule intervals.
const Source = "rule"

// Func is a Rule made of functions.
type Func struct {
	RuleName string
	Limit    string
	Measurer func(ctx context.Context, now time.Time) Measurement
	// Fire judges a failing streak; one failing evaluation fires when nil.
	Fire func(Streak, time.Time) bool
}

// Name implements Rule.
func (f Func) Name() string { return f.RuleName }

// Threshold implements Rule.
func (f Func) Threshold() string { return f.Limit }

// Measure implements Rule.
func (f Func) Measure(ctx context.Context, now time.Time) Measurement { return f.Measurer(ctx, now) }

// Fires implements Rule.
func (f Func) Fires(s Streak, now time.Time) bool {
	if f.Fire == nil {
		return s.Count >= 1
	}
	return f.Fire(s, now)
}

// WriteCSV writes one row per evaluation: time (RFC 3339 with
// milliseconds), rule, value, threshold, verdict, evidence.
func WriteCSV(w io.Writer, evals []Evaluation) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"time", "rule", "value", "threshold", "verdict", "evidence"}); err != nil {
		return fmt.Errorf("write rule evaluations: %w", err)
	}
	for _, ev := range evals {
		value := ""
		if ev.HasData {
			value = strconv.FormatFloat(ev.Value, 'g', 6, 64)
		}
		row := []string{ev.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"), ev.Rule, value, ev.Threshold, string(ev.Verdict), ev.Evidence}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write rule evaluations: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write rule evaluations: %w", err)
	}
	return nil
}

// Intervals turns evaluations into timeline intervals: one lane per rule,
// a run of evaluations with the same verdict is one interval, lasting to
// the next evaluation of the rule (or to end for the last run).
func Intervals(evals []Evaluation, end time.Time) []monitor.Interval {
	var out []monitor.Interval
	open := map[string]*monitor.Interval{}
	verdict := map[string]Verdict{}
	var order []string
	for _, ev := range evals {
		iv := open[ev.Rule]
		if iv != nil && verdict[ev.Rule] == ev.Verdict && ev.Verdict != Fired {
			continue
		}
		if iv != nil {
			iv.To = ev.Time
			out = append(out, *iv)
		} else {
			order = append(order, ev.Rule)
		}
		open[ev.Rule] = &monitor.Interval{From: ev.Time, Level: level(ev.Verdict), Source: Source, Locator: "rule/" + ev.Rule, Message: message(ev)}
		verdict[ev.Rule] = ev.Verdict
	}
	for _, name := range order {
		iv := open[name]
		iv.To = end
		if iv.To.Before(iv.From) {
			iv.To = iv.From
		}
		out = append(out, *iv)
	}
	monitor.Sort(out)
	return out
}

func level(v Verdict) monitor.Level {
	switch v {
	case OK:
		return monitor.Info
	case Failing, NoData:
		return monitor.Warning
	}
	return monitor.Error
}

func message(ev Evaluation) string {
	if !ev.HasData {
		return fmt.Sprintf("%s: no data (%s)", ev.Verdict, ev.Evidence)
	}
	return fmt.Sprintf("%s: %s against %s: %s", ev.Verdict, strconv.FormatFloat(ev.Value, 'g', 6, 64), ev.Threshold, ev.Evidence)
}
