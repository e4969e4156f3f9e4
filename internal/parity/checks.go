package parity

import (
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/internal/result"
)

// CheckMinimum is the check of the overall percentage against the
// configured minimum.
const CheckMinimum = "parity/minimum"

// CheckName is the JUnit case of a dimension.
func CheckName(dimension string) string { return "parity/" + dimension }

// Checks turns a report into checks: one per dimension, whose findings
// are its differences (warnings: a difference alone does not fail the
// run) or a failure when a side could not be read, and the minimum, which
// fails when the overall percentage is below min (a fraction, 0.9 for
// 90%).
func (r Report) Checks(min float64) []result.Check {
	var checks []result.Check
	for _, s := range r.Scores {
		d := s.Dimension
		c := result.Check{Name: CheckName(d.Name),
			Description: fmt.Sprintf("Sandbox and production alike in %s: %s%% (%d of %d alike), weight %d.", d.Title, pct(s.Percent), s.Matched, s.Total, d.Weight)}
		if s.Unreadable != "" {
			c.Findings = append(c.Findings, result.Finding{Check: c.Name, Level: result.Failure, Title: "Could not compare " + d.Title,
				Message: "Could not read " + s.Unreadable + "; the dimension scores 0."})
		}
		for _, diff := range s.Differences {
			c.Findings = append(c.Findings, result.Finding{Check: c.Name, Level: result.Warning, Object: diff.Object,
				Title: "Differs from production: " + d.Title, Message: capital(diff.Message()) + ". " + d.Impact})
		}
		checks = append(checks, c)
	}
	m := result.Check{Name: CheckMinimum,
		Description: fmt.Sprintf("The sandbox is at least %s%% similar to production (weighted over %d dimensions).", pct(min*100), len(r.Scores))}
	if r.Overall < min*100-1e-9 {
		m.Findings = []result.Finding{{Check: CheckMinimum, Level: result.Failure, Title: "The sandbox is too far from production",
			Message: fmt.Sprintf("The sandbox is %s%% similar to production, below the minimum of %s%% (sandbox.parity.min): %s. Make the sandbox more like production (the differences are listed), or lower sandbox.parity.min.",
				pct(r.Overall), pct(min*100), r.lowest())}}
	}
	return append(checks, m)
}

// Line is the summary's line: the overall percentage and every
// dimension's score.
func (r Report) Line(min float64) string {
	parts := make([]string, len(r.Scores))
	for i, s := range r.Scores {
		parts[i] = fmt.Sprintf("%s %s", s.Dimension.Name, pct(s.Percent))
	}
	return fmt.Sprintf("Parity with production: %s%% (minimum %s%%; each dimension 0–100, weighted 2 for what decides whether the API server accepts the manifests, 1 for the rest): %s; %d difference(s).",
		pct(r.Overall), pct(min*100), strings.Join(parts, ", "), len(r.Differences()))
}

// lowest names the dimensions that scored below 100, in report order.
func (r Report) lowest() string {
	var parts []string
	for _, s := range r.Scores {
		if s.Percent < 100 {
			parts = append(parts, fmt.Sprintf("%s %s%%", s.Dimension.Name, pct(s.Percent)))
		}
	}
	if len(parts) == 0 {
		return "every dimension is alike"
	}
	return "below 100: " + strings.Join(parts, ", ")
}

// pct writes a percentage with at most one decimal.
func pct(p float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", p), ".0") }

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
