// Package report turns stage results into what people read: JUnit XML, the
// markdown of step and check-run summaries within GitHub's size limits, and
// annotation batches within GitHub's per-request limit.
package report

import "github.com/shipgate/shipgate/internal/result"

// GitHub's limits, from the REST API documentation of check runs and the
// workflow-commands documentation of job summaries.
const (
	// MaxAnnotationsPerRequest is how many annotations one check-run create
	// or update request may carry.
	MaxAnnotationsPerRequest = 50
	// MaxCheckOutput is the maximum length of a check run's output summary
	// and of its output text.
	MaxCheckOutput = 65535
	// MaxStepSummary is the maximum size of one step's summary.
	MaxStepSummary = 1024 * 1024
)

// Target is one result together with what it was about, e.g. one pull
// request checked by merge-check.
type Target struct {
	// Label names the target in reports, e.g. "PR #12"; empty for a single target.
	Label  string
	Result result.Result
	// Error, when set, says why the stage could not run (exit code 2, an
	// interrupt): the JUnit XML has it as an errored case, the markdown as
	// the target's status, so the reports show it beside any partial
	// result.
	Error string
}

// Batches splits findings into consecutive groups of at most size.
func Batches(findings []result.Finding, size int) [][]result.Finding {
	if size <= 0 {
		size = MaxAnnotationsPerRequest
	}
	var out [][]result.Finding
	for len(findings) > 0 {
		n := min(size, len(findings))
		out = append(out, findings[:n:n])
		findings = findings[n:]
	}
	return out
}
