// Package risk ranks the failed JUnit cases of a run by the history of
// earlier runs, as OpenShift's upgrade framework ranks a run's risk from its
// tests' history: a case that never failed before is likely broken by this
// change (high), one that fails on the base branch too is pre-existing or
// flaky (low), one that failed before and recovered is in between
// (medium). Each verdict carries its evidence ("failed 3 of the last 20
// runs on main, last 2026-11-30"); without history, the ranking says so.
package risk

import (
	"fmt"
	"time"
)

// Outcome is what a case did in one run.
type Outcome uint8

// The outcomes of a case; a JUnit <error> counts as Failed.
const (
	Passed Outcome = iota + 1
	Failed
	Skipped
)

func (o Outcome) String() string {
	switch o {
	case Passed:
		return "passed"
	case Failed:
		return "failed"
	case Skipped:
		return "skipped"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Case names a JUnit test case across runs: shipgate's cases have stable
// names, and the class ("shipgate.<stage>") keeps stages apart.
type Case struct {
	Class string
	Name  string
}

// String renders the case as "class › name".
func (c Case) String() string { return c.Class + " › " + c.Name }

// Run is one earlier run's JUnit results.
type Run struct {
	// ID is the workflow run's ID; URL its page, when known.
	ID  int64
	URL string
	// Branch is the run's head branch.
	Branch string
	// Base marks a run on the base branch (a push, a schedule, a merge
	// queue's run of it); the others ran for pull requests.
	Base bool
	// PullRequest is the pull request's number, 0 when unknown or none.
	PullRequest int
	Time        time.Time
	Cases       map[Case]Outcome
}

// History is what is known of earlier runs.
type History struct {
	// BaseBranch is the branch the base runs ran on, e.g. "main".
	BaseBranch string
	// Runs are the earlier runs that had JUnit results, in any order.
	Runs []Run
	// Looked is how many earlier runs were looked at, with or without
	// results; Source says where ("the last 30 completed runs of
	// octo-org/octo-repo").
	Looked int
	Source string
	// Notes say what was left out (expired artifacts, runs over a bound).
	Notes []string
}

// Level is how likely a failure is to have been caused by the change under
// test.
type Level uint8

// The risk levels, highest first.
const (
	High Level = iota + 1
	Medium
	Low
)

func (l Level) String() string {
	switch l {
	case High:
		return "high"
	case Medium:
		return "medium"
	case Low:
		return "low"
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// Verdict is a ranked failure's class.
type Verdict string

// The verdicts Rank gives.
const (
	// NewCase: no earlier run had the case (new or renamed).
	NewCase Verdict = "new case"
	// NeverFailed: every earlier run that had the case passed or skipped it.
	NeverFailed Verdict = "never failed before"
	// FailingOnBase: the latest base run that had the case failed it.
	FailingOnBase Verdict = "failing on the base branch"
	// Flaky: it failed several base runs, or the runs of several pull
	// requests, but not the latest base run.
	Flaky Verdict = "known flaky"
	// Recovered: it failed once before and has passed since.
	Recovered Verdict = "failed before, then recovered"
)

// Ranked is one failed case with its risk and the evidence for it.
type Ranked struct {
	Case     Case
	Risk     Level
	Verdict  Verdict
	Evidence string
}
