package promote

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/monitor"
	"github.com/shipgate/shipgate/internal/rules"
	"github.com/shipgate/shipgate/internal/timeline"
)

// writeReports stops the monitor and writes what the window recorded:
// the intervals as JSON lines, the HTML timeline, every rule evaluation
// as CSV, and the rules table in the step summary.
func (p *promotion) writeReports() error {
	w := p.win
	if w == nil {
		return nil
	}
	w.stop()
	evals := w.engine.Evaluations()
	end := time.Now()
	intervals := append(append(append([]monitor.Interval(nil), w.intervals...), w.marks...), rules.Intervals(evals, end)...)
	monitor.Sort(intervals)

	dir := p.env.Inputs.Resolve(p.env.Inputs.ReportDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write reports: %w", err)
	}
	rel := func(name string) (string, string) {
		r := filepath.Join(p.env.Inputs.ReportDir, name)
		return filepath.ToSlash(r), p.env.Inputs.Resolve(r)
	}
	name := cmp.Or(p.reportName, "promote")
	jsonRel, jsonAbs := rel(name + "-intervals.jsonl")
	htmlRel, htmlAbs := rel(name + "-timeline.html")
	csvRel, csvAbs := rel(name + "-rules.csv")
	var errs []error
	errs = append(errs, writeFile(jsonAbs, func(f *os.File) error { return monitor.WriteJSONLines(f, intervals) }))
	errs = append(errs, writeFile(csvAbs, func(f *os.File) error { return rules.WriteCSV(f, evals) }))
	title := fmt.Sprintf("shipgate promote: revision %d of %s in %s", p.rev.Number, p.s.app, p.s.environment)
	errs = append(errs, timeline.WriteFile(htmlAbs, title, intervals))
	p.res.Notes = append(p.res.Notes, fmt.Sprintf("Timeline: `%s`; intervals: `%s`; rule evaluations (CSV): `%s`.", htmlRel, jsonRel, csvRel))
	for _, s := range w.mon.Summaries() {
		p.res.Notes = append(p.res.Notes, fmt.Sprintf("Production traffic %s over %s: %s of disruption in %d outage(s); %d of %d samples failed.",
			s.Endpoint, s.Connection, s.Disruption.Round(time.Millisecond), s.Outages, s.Failed, s.Samples))
	}
	if p.traffic > 0 {
		p.res.Notes = append(p.res.Notes, fmt.Sprintf("Decision to roll back → first sampled answer of the restored revision: %s.", p.traffic.Round(time.Millisecond)))
	}
	if p.rehearsal != nil {
		return errors.Join(errs...) // a rehearsal's report is the smoke stage's
	}
	errs = append(errs, p.env.RT.AppendSummary(rulesTable(w)))
	errs = append(errs, p.setOutputs([2]string{"timeline-path", htmlRel}, [2]string{"intervals-path", jsonRel}, [2]string{"rules-path", csvRel}))
	return errors.Join(errs...)
}

func writeFile(path string, fill func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return errors.Join(fill(f), f.Close())
}

// rulesTable is the step summary's table of the rollback rules: the last
// value, the threshold, the state, and how long each had no data.
func rulesTable(w *window) string {
	var b strings.Builder
	b.WriteString("### Rollback rules\n\n| rule | threshold | last value | state | evaluations | no data |\n|---|---|---|---|---|---|\n")
	for _, s := range w.engine.Summaries() {
		last, state := "—", "not evaluated"
		if s.Last != nil {
			state = string(s.Last.Verdict)
			if s.Last.HasData {
				last = fmt.Sprintf("%.4g", s.Last.Value)
			}
		}
		noData := "—"
		if n := s.Counts[rules.NoData]; n > 0 {
			noData = fmt.Sprintf("%d (%s, %s)", n, s.NoDataFor.Round(time.Millisecond), s.Policy)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s |\n", s.Rule, s.Threshold, last, state, s.Evaluated(), noData)
	}
	for _, n := range w.notConfigured {
		name, why, _ := strings.Cut(n, ": ")
		fmt.Fprintf(&b, "| %s | — | — | not configured: %s | 0 | — |\n", name, why)
	}
	return b.String() + "\n"
}
