package promote

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/rules"
	"github.com/shipgate/shipgate/internal/stage"
)

// RuleAbort is the rule a rehearsal fires to abort its promotion.
const RuleAbort = "rehearsal/abort"

// rehearsal is where a rehearsed promotion is aborted.
type rehearsal struct {
	// abort says the promotion is aborted (the base version's is not).
	abort bool
	// after is how long after the switch the abort fires.
	after time.Duration
	// what says where that is, for the report.
	what string
}

// addAbortRule adds the rehearsal's abort as a rule, so the abort takes
// the very path a rule that fires in production takes.
func (w *window) addAbortRule() error {
	r := w.p.rehearsal
	if r == nil || !r.abort {
		return nil
	}
	w.engine.Add(rules.Func{
		RuleName: RuleAbort, Limit: r.what,
		Measurer: func(_ context.Context, now time.Time) rules.Measurement {
			sw := w.p.rev.Switched
			if sw.IsZero() {
				return rules.Measurement{HasData: true, Evidence: "not switched yet"}
			}
			in := now.Sub(sw)
			return rules.Measurement{Value: in.Seconds(), HasData: true, Failing: in >= r.after,
				Evidence: fmt.Sprintf("%s after the switch (abort at %s)", in.Round(time.Millisecond), r.after)}
		},
	}, rules.IgnoreNoData)
	return nil
}

// RehearseOptions say where to rehearse.
type RehearseOptions struct {
	// KubeconfigPath and Namespace are the sandbox's.
	KubeconfigPath, Namespace string
	// BaseRepo holds the base branch's manifests (the live revision);
	// the environment's repository holds the pull request's.
	BaseRepo string
}

// Rehearse proves the way back before production, in a sandbox: the base
// version promoted as the live revision, the pull request's promoted over
// it with the promote config (strategy, checks, traffic, rules), aborted
// at the configured point of its watched window, and the rollback
// verified with the checks a production rollback uses. It returns the
// rehearsal's checks (named rehearsal/…) and notes.
func Rehearse(ctx context.Context, env *stage.Env, o RehearseOptions) ([]result.Check, []string, error) {
	cfg := env.Config.Smoke.RehearseRollback
	frac, err := cfg.Fraction()
	if err != nil {
		return nil, nil, err
	}
	window := cfg.Window()
	seed := cfg.Seed
	if seed == 0 {
		seed = env.Now().UnixNano()
	}
	r := &rehearsal{abort: true}
	if frac < 0 {
		rnd := rand.New(rand.NewPCG(uint64(seed), 0))
		frac = rnd.Float64()
		r.what = fmt.Sprintf("at random: %.0f%% of the %s window (seed %d: set smoke.rehearse-rollback.seed to replay it)", frac*100, window, seed)
	} else {
		r.what = fmt.Sprintf("at %.0f%% of the %s window", frac*100, window)
	}
	r.after = time.Duration(frac * float64(window))

	pc := env.Config.Promote
	zero := time.Duration(0)
	pc.Watch, pc.ScaleDownDelay = &window, &zero
	pc.Interval = min(pc.EvalInterval(), max(window/20, 50*time.Millisecond))
	pc.PrePromote = ""
	if len(pc.Traffic.Endpoints) == 0 {
		pc.Traffic = env.Config.Smoke.Disruption
	}
	pc.App = cmp.Or(pc.App, appName(env)) // one history for both versions
	in := env.Inputs
	in.Environment, in.KubeconfigPath, in.Kubeconfig, in.Namespace = "rehearsal", o.KubeconfigPath, "", o.Namespace
	base := *env
	base.Inputs, base.GitHub = in, nil
	base.Config.Promote = pc
	head := base
	base.Inputs.Repo, base.Inputs.Image = o.BaseRepo, "" // the base runs its own images
	basePC := pc
	basePC.Watch = &zero // the base only needs to be live
	base.Config.Promote = basePC

	var checks []result.Check
	var notes []string
	// 1. The base version, live.
	began := time.Now()
	pb, err := rehearsalRun(ctx, &base, nil, "rehearsal-base")
	if err != nil {
		return nil, nil, fmt.Errorf("rehearsal: promote the base version: %w", err)
	}
	if pb.res.Failed() || pb.rev.State != history.Good {
		checks = append(checks, result.Check{Name: "rehearsal/base-live", Findings: []result.Finding{{Check: "rehearsal/base-live", Level: result.Failure,
			Title: "The base version could not be promoted in the sandbox", Message: failedChecks(pb.res)}}})
		return checks, nil, nil
	}
	checks = append(checks, result.Check{Name: "rehearsal/base-live", Duration: time.Since(began),
		Description: fmt.Sprintf("The base version is the live revision %d of the sandbox (%s).", pb.rev.Number, pc.StrategyName())})

	// 2. The pull request's version, promoted and aborted.
	ph, err := rehearsalRun(ctx, &head, r, "rehearsal")
	if err != nil {
		return checks, nil, fmt.Errorf("rehearsal: promote the pull request's version: %w", err)
	}
	for _, c := range ph.res.Checks {
		switch {
		case c.Name == "rule/"+RuleAbort:
			c.Findings = nil // the planned abort
			c.Name = "rule/abort"
			c.Description = "The promotion is aborted " + r.what + "."
		case strings.HasPrefix(c.Name, "deploy/"), strings.HasPrefix(c.Name, "rule/") && !c.Failed():
			continue
		}
		c.Name = "rehearsal/" + strings.TrimPrefix(strings.TrimPrefix(c.Name, "promote/"), "rule/")
		for i := range c.Findings {
			c.Findings[i].Check = c.Name
		}
		checks = append(checks, c)
	}
	if !ph.rolledBack {
		checks = append(checks, result.Check{Name: "rehearsal/rolled-back", Findings: []result.Finding{{Check: "rehearsal/rolled-back", Level: result.Failure,
			Title: "The rehearsed promotion was not rolled back", Message: "The abort should have taken the sandbox back to the base version: " + failedChecks(ph.res)}}})
	}
	notes = append(notes, fmt.Sprintf("Rollback rehearsed: base revision %d live, the pull request's revision %d promoted (%s) and aborted %s.", pb.rev.Number, ph.rev.Number, pc.StrategyName(), r.what))
	for _, n := range ph.res.Notes {
		if strings.HasPrefix(n, "Production traffic") || strings.HasPrefix(n, "Decision to roll back") || strings.HasPrefix(n, "Timeline:") {
			notes = append(notes, "Rehearsal: "+n)
		}
	}
	return checks, notes, nil
}

// rehearsalRun runs one promotion of a rehearsal.
func rehearsalRun(ctx context.Context, env *stage.Env, r *rehearsal, name string) (*promotion, error) {
	s, err := parse(env)
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = &rehearsal{} // no abort, but a rehearsal's quiet reports
	}
	p := &promotion{env: env, s: s, res: result.Result{Stage: "promote"}, rehearsal: r, reportName: name}
	err = p.run(ctx)
	if werr := p.writeReports(); werr != nil && err == nil {
		err = werr
	}
	return p, err
}

func failedChecks(r result.Result) string {
	var lines []string
	for _, c := range r.Checks {
		for _, f := range c.Findings {
			if f.Level == result.Failure {
				lines = append(lines, c.Name+": "+f.Title)
			}
		}
	}
	if len(lines) == 0 {
		return "no check failed"
	}
	return strings.Join(lines, "; ")
}
