// Package result holds what a stage found: findings grouped into named checks.
// Findings are data (a conflict, an invalid manifest, a removed API); they
// become annotations, JUnit test cases and summary rows. Errors that stop a
// stage from running are not findings.
package result

import (
	"fmt"
	"time"
)

// Level is the severity of a finding, spelled as GitHub's annotation_level.
type Level string

// The levels a finding can have.
const (
	Failure Level = "failure"
	Warning Level = "warning"
	Notice  Level = "notice"
)

// Finding is one problem at a place in the repository.
type Finding struct {
	// Check is the stable name of the check that produced the finding.
	Check string `json:"check"`
	Level Level  `json:"level"`
	// Path is slash-separated and relative to the repository root; empty when
	// the finding has no file.
	Path      string `json:"path,omitempty"`
	Line      int    `json:"line,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
	Column    int    `json:"column,omitempty"`
	EndColumn int    `json:"end_column,omitempty"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	// Object names the Kubernetes object involved as kind/namespace/name, or
	// kind/name for cluster-scoped objects; empty when none.
	Object string `json:"object,omitempty"`
}

// Location renders the finding's place as path:line:column, as much as is known.
func (f Finding) Location() string {
	switch {
	case f.Path == "":
		return ""
	case f.Line == 0:
		return f.Path
	case f.Column == 0:
		return fmt.Sprintf("%s:%d", f.Path, f.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", f.Path, f.Line, f.Column)
	}
}

// Check is one named check of a stage; it becomes one JUnit test case.
type Check struct {
	// Name is stable across runs, e.g. "merge/conflicts".
	Name string `json:"name"`
	// Description says in one line what the check looks at.
	Description string    `json:"description"`
	Findings    []Finding `json:"findings,omitempty"`
	// Skipped, when set, says why the check did not run.
	Skipped  string        `json:"skipped,omitempty"`
	Duration time.Duration `json:"duration"`
}

// Failed reports whether any finding of the check is a failure.
func (c Check) Failed() bool {
	for _, f := range c.Findings {
		if f.Level == Failure {
			return true
		}
	}
	return false
}

// Result is everything one stage run found.
type Result struct {
	// Stage is the stage's name, e.g. "merge-check".
	Stage string `json:"stage"`
	// Title is the one-line headline of the check run, e.g. "2 conflicts".
	Title    string    `json:"title"`
	Checks   []Check   `json:"checks"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Notes are lines of context for the summary (e.g. "base moved from a1b2 to c3d4").
	Notes []string `json:"notes,omitempty"`
}

// Failed reports whether any check failed.
func (r Result) Failed() bool {
	for _, c := range r.Checks {
		if c.Failed() {
			return true
		}
	}
	return false
}

// Findings returns every finding of every check, in check order.
func (r Result) Findings() []Finding {
	var all []Finding
	for _, c := range r.Checks {
		all = append(all, c.Findings...)
	}
	return all
}

// Count returns how many findings have the given level.
func (r Result) Count(l Level) int {
	n := 0
	for _, f := range r.Findings() {
		if f.Level == l {
			n++
		}
	}
	return n
}
