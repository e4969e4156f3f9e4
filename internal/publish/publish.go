// Package publish reports a stage's results back to GitHub: one check run
// per target on the pull request's head SHA, created in progress when the
// target starts and completed with every annotation when it ends. When the
// token may not write check runs (a fork's read-only token) or the API is
// down, findings go out as workflow-command annotations instead; reporting
// trouble never changes a stage's verdict.
package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/risk"
)

// CheckRuns is the part of the GitHub client the publisher needs.
type CheckRuns interface {
	CreateCheckRun(ctx context.Context, cr ghapi.CheckRun) (int64, error)
	CompleteCheckRun(ctx context.Context, id int64, name string, out ghapi.Output, conclusion string, findings []result.Finding, completed time.Time) error
}

// Ranker ranks a run's failed cases by their history as a summary
// section of at most limit bytes (risk.Ranker).
type Ranker interface {
	Section(ctx context.Context, failed []risk.Case, limit int) string
}

// MaxRiskSection bounds the ranking's section of a check run's summary,
// so the findings keep most of its 65,535 characters.
const MaxRiskSection = 16 << 10

// Publisher reports the targets of one stage run.
type Publisher struct {
	rt         *actionio.Runtime
	checks     CheckRuns // nil: no GitHub reporting (CLI, or no token)
	ranker     Ranker    // nil: failures are not ranked
	detailsURL string
	moreNote   string
	now        func() time.Time

	mu       sync.Mutex
	fallback bool // the check-run API refused us once; stop trying
	open     map[*Run]bool
	// CheckRunIDs are the ids of check runs created, in order.
	CheckRunIDs []int64
}

// New returns a publisher. checks may be nil (no GitHub reporting).
// detailsURL links each check run to the workflow run; moreNote tells
// readers where findings that did not fit a summary are.
func New(rt *actionio.Runtime, checks CheckRuns, detailsURL, moreNote string, now func() time.Time) *Publisher {
	return &Publisher{rt: rt, checks: checks, detailsURL: detailsURL, moreNote: moreNote, now: now, open: map[*Run]bool{}}
}

// SetRanker makes every failed target's check run, and RiskSection, rank
// the failures by their history; nil turns ranking off. Call it before
// the stage runs.
func (p *Publisher) SetRanker(r Ranker) { p.ranker = r }

// RiskSection is the ranking of the failed cases of targets in at most
// limit bytes, empty without a ranker or failures.
func (p *Publisher) RiskSection(ctx context.Context, targets []report.Target, limit int) string {
	if p.ranker == nil {
		return ""
	}
	var failed []risk.Case
	for _, t := range targets {
		failed = append(failed, risk.Failures(t.Result.Stage, t.Result, t.Error != "")...)
	}
	return p.ranker.Section(ctx, failed, limit)
}

// Run is one target's check run.
type Run struct {
	p       *Publisher
	name    string
	headSHA string
	id      int64 // 0: no check run
}

// Begin starts a check run named name on headSHA.
func (p *Publisher) Begin(ctx context.Context, name, headSHA string) *Run {
	r := &Run{p: p, name: name, headSHA: headSHA}
	p.mu.Lock()
	p.open[r] = true
	p.mu.Unlock()
	if !p.usable() || !isSHA(headSHA) {
		return r
	}
	id, err := p.checks.CreateCheckRun(ctx, ghapi.CheckRun{
		Name: name, HeadSHA: headSHA, DetailsURL: p.detailsURL, StartedAt: p.now(),
	})
	if err != nil {
		p.degrade(err)
		return r
	}
	r.id = id
	p.mu.Lock()
	p.CheckRunIDs = append(p.CheckRunIDs, id)
	p.mu.Unlock()
	return r
}

// End completes the check run with the target's result. Without a check
// run, every finding becomes a workflow-command annotation.
func (r *Run) End(ctx context.Context, t report.Target) {
	p := r.p
	p.mu.Lock()
	delete(p.open, r)
	p.mu.Unlock()
	conclusion := "success"
	if t.Result.Failed() {
		conclusion = "failure"
	}
	if r.id != 0 && p.usable() {
		ranking := p.RiskSection(ctx, []report.Target{t}, MaxRiskSection)
		out := ghapi.Output{
			Title:   t.Result.Title,
			Summary: report.Markdown([]report.Target{t}, report.MaxCheckOutput-len(ranking), p.moreNote) + ranking,
		}
		err := p.checks.CompleteCheckRun(ctx, r.id, r.name, out, conclusion, t.Result.Findings(), p.now())
		if err == nil {
			return
		}
		p.degrade(err)
	}
	for _, f := range t.Result.Findings() {
		p.rt.Annotate(f)
	}
}

// Abort completes every check run that was begun but not ended, e.g. when
// the stage stopped on an error or was cancelled, so none stays "in
// progress" forever. It uses its own short deadline: ctx may be done.
func (p *Publisher) Abort(cause error) {
	p.mu.Lock()
	var runs []*Run
	for r := range p.open {
		runs = append(runs, r)
	}
	p.mu.Unlock()
	conclusion := "failure"
	if errors.Is(cause, context.Canceled) {
		conclusion = "cancelled"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, r := range runs {
		p.mu.Lock()
		delete(p.open, r)
		p.mu.Unlock()
		if r.id == 0 || !p.usable() {
			continue
		}
		out := ghapi.Output{Title: "shipgate could not finish", Summary: fmt.Sprintf("The stage stopped before it had a result:\n\n```\n%v\n```\n", cause)}
		if err := p.checks.CompleteCheckRun(ctx, r.id, r.name, out, conclusion, nil, p.now()); err != nil {
			p.rt.Warnf("could not complete check run %q: %v", r.name, err)
		}
	}
}

func (p *Publisher) usable() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.checks != nil && !p.fallback
}

// degrade switches to workflow-command annotations and says why, once.
func (p *Publisher) degrade(err error) {
	p.mu.Lock()
	already := p.fallback
	p.fallback = true
	p.mu.Unlock()
	if already {
		return
	}
	if ghapi.IsForbidden(err) {
		p.rt.Warnf("The token may not write check runs (%v). Pull requests from forks get a read-only token. Findings are reported as annotations of this step and in the step summary instead; to get check runs, give the job `permissions: checks: write`.", err)
		return
	}
	p.rt.Warnf("GitHub's check-run API failed (%v). Findings are reported as annotations of this step and in the step summary instead.", err)
}

// isSHA reports whether s is a full commit SHA (40 or 64 hex digits), the
// only thing a check run can be attached to.
func isSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
