package risk

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// FlakyAfter is how many failures on the base branch, or how many pull
// requests failing a case, make it known flaky rather than recovered: one
// failure may have been one change's, a second that was not the latest
// base run's is the case's own.
const FlakyAfter = 2

// Rank ranks each failed case by h, highest risk first, in the given
// order within a level. The runs of h are read newest first.
func Rank(failed []Case, h History) []Ranked {
	runs := newestFirst(h.Runs)
	base := h.BaseBranch
	if base == "" {
		base = "the base branch"
	}
	out := make([]Ranked, 0, len(failed))
	for _, c := range failed {
		out = append(out, rank(c, runs, base))
	}
	slices.SortStableFunc(out, func(a, b Ranked) int { return cmp.Compare(a.Risk, b.Risk) })
	return out
}

// newestFirst sorts a copy of runs by time, newest first, then by ID.
func newestFirst(runs []Run) []Run {
	runs = slices.Clone(runs)
	slices.SortStableFunc(runs, func(a, b Run) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return runs
}

// tally counts one case over the runs that had it.
type tally struct {
	ran, baseRan, fails, baseFails, skips int
	// latestBase is the outcome of the newest base run that had the case.
	latestBase     Outcome
	latestBaseTime time.Time
	// lastFail is the newest failing run; passedSince counts the runs
	// newer than it that passed.
	lastFail    *Run
	passedSince int
	// failingPRs are the pull requests (or branches) whose runs failed it,
	// newest first.
	failingPRs []string
	newest     time.Time
}

func count(c Case, runs []Run) tally {
	var t tally
	for i := range runs {
		r := &runs[i]
		o, ok := r.Cases[c]
		if !ok {
			continue
		}
		if t.ran == 0 {
			t.newest = r.Time
		}
		t.ran++
		if r.Base {
			t.baseRan++
			if t.latestBase == 0 {
				t.latestBase, t.latestBaseTime = o, r.Time
			}
		}
		switch o {
		case Skipped:
			t.skips++
		case Passed:
			if t.lastFail == nil {
				t.passedSince++
			}
		case Failed:
			t.fails++
			if t.lastFail == nil {
				t.lastFail = r
			}
			if r.Base {
				t.baseFails++
			} else if pr := prName(*r); !slices.Contains(t.failingPRs, pr) {
				t.failingPRs = append(t.failingPRs, pr)
			}
		}
	}
	return t
}

func rank(c Case, runs []Run, base string) Ranked {
	t := count(c, runs)
	r := Ranked{Case: c}
	switch {
	case t.ran == 0:
		r.Risk, r.Verdict = High, NewCase
		r.Evidence = fmt.Sprintf("in none of the %d earlier run(s) with results: a new or renamed case", len(runs))
	case t.fails == 0:
		r.Risk, r.Verdict = High, NeverFailed
		r.Evidence = "passed " + ranIn(t, base)
		if t.skips > 0 {
			r.Evidence = fmt.Sprintf("passed %d and skipped %d of %s", t.ran-t.skips, t.skips, ranIn(t, base)[len("all "):])
		}
	case t.latestBase == Failed:
		r.Risk, r.Verdict = Low, FailingOnBase
		r.Evidence = fmt.Sprintf("the latest run on %s failed (%s); %s", base, day(t.latestBaseTime), failures(t, base))
	case t.baseFails >= FlakyAfter || len(t.failingPRs) >= FlakyAfter:
		r.Risk, r.Verdict = Low, Flaky
		r.Evidence = failures(t, base)
	default:
		r.Risk, r.Verdict = Medium, Recovered
		r.Evidence = fmt.Sprintf("%s; passed the %d run(s) since", failures(t, base), t.passedSince)
	}
	return r
}

// ranIn says which runs had the case: "all 20 earlier runs that ran it (14
// on main, 6 for pull requests), the newest 2026-11-30".
func ranIn(t tally, base string) string {
	return fmt.Sprintf("all %d earlier run(s) that ran it (%d on %s, %d for pull requests), the newest %s",
		t.ran, t.baseRan, base, t.ran-t.baseRan, day(t.newest))
}

// failures says where and when a case failed: "failed 3 of the last 20
// run(s) on main and the runs of 2 other pull request(s) (#12, #15), last
// 2026-11-30".
func failures(t tally, base string) string {
	var parts []string
	if t.baseFails > 0 {
		parts = append(parts, fmt.Sprintf("%d of the last %d run(s) on %s", t.baseFails, t.baseRan, base))
	}
	if n := len(t.failingPRs); n > 0 {
		parts = append(parts, fmt.Sprintf("the runs of %d other pull request(s) (%s)", n, strings.Join(t.failingPRs, ", ")))
	}
	s := "failed " + strings.Join(parts, " and ")
	if t.baseFails == 0 && t.baseRan > 0 {
		s += fmt.Sprintf(", none of the last %d run(s) on %s", t.baseRan, base)
	}
	return s + ", last " + day(t.lastFail.Time)
}

// prName names a pull request run's change: "#12", else its branch.
func prName(r Run) string {
	if r.PullRequest > 0 {
		return fmt.Sprintf("#%d", r.PullRequest)
	}
	if r.Branch != "" {
		return "`" + r.Branch + "`"
	}
	return fmt.Sprintf("run %d", r.ID)
}

func day(t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	return t.UTC().Format(time.DateOnly)
}
