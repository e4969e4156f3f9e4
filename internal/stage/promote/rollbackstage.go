package promote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// RollbackCheckRunName is the name of the rollback stage's check run.
const RollbackCheckRunName = "shipgate / rollback"

// CheckTarget is the rollback stage's choice of the revision to return to.
const CheckTarget = "rollback/target"

// rollbackSettings are the rollback stage's own inputs.
type rollbackSettings struct {
	settings
	to        int // 0: the last good revision
	fastTrack bool
	reason    string
}

func parseRollback(env *stage.Env) (rollbackSettings, error) {
	s, err := parse(env)
	r := rollbackSettings{settings: s, reason: strings.TrimSpace(env.Inputs.Reason)}
	errs := []error{err}
	if v := strings.TrimSpace(env.Inputs.ToRevision); v != "" {
		n, perr := strconv.Atoi(strings.TrimPrefix(v, "r"))
		if perr != nil || n < 1 {
			errs = append(errs, fmt.Errorf("input to-revision %q: want a revision number such as 3 (the promote stage's revision output), or leave it empty for the last good revision", v))
		}
		r.to = n
	}
	var ferr error
	r.fastTrack, ferr = stage.Bool("fast-track", env.Inputs.FastTrack)
	errs = append(errs, ferr)
	if r.reason == "" {
		r.reason = "manual rollback"
	}
	return r, errors.Join(errs...)
}

// RollbackStage is the rollback stage: production back to the last good
// revision (or a given one), traffic first, verified.
type RollbackStage struct{}

// Validate checks the inputs before anything is made.
func (RollbackStage) Validate(env *stage.Env) error {
	_, err := parseRollback(env)
	return err
}

// Run rolls back once.
func (RollbackStage) Run(ctx context.Context, env *stage.Env) ([]report.Target, error) {
	s, err := parseRollback(env)
	if err != nil {
		return nil, err
	}
	p := &promotion{env: env, s: s.settings, res: result.Result{Stage: "rollback", Started: env.Now()}, manual: true}
	check := env.Publisher.Begin(ctx, RollbackCheckRunName, env.HeadSHA())
	err = p.runRollback(ctx, s)
	p.figures(ctx)
	err = errors.Join(err, p.writeReports())
	p.res.Finished = env.Now()
	p.res.Title = p.rollbackTitle()
	t := report.Target{Result: p.res}
	if err != nil {
		return []report.Target{t}, err
	}
	check.End(ctx, t)
	return []report.Target{t}, nil
}

// runRollback finds the revision to return to and restores it. Here
// p.rev is the revision production runs now and p.live the target, as
// in an automatic rollback.
func (p *promotion) runRollback(ctx context.Context, s rollbackSettings) (err error) {
	release, err := p.openProduction(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, release()) }()

	// The history: what runs now, what a dead runner left, where to go.
	p.store = history.NewStore(p.cl.Client, p.s.namespace, p.s.app, p.s.environment)
	all, err := p.store.List(ctx)
	if err != nil {
		return fmt.Errorf("revision history: %w", err)
	}
	if len(all) == 0 {
		return fmt.Errorf("there is no revision history of %s in %s (namespace %s): shipgate restores only revisions its promote stage recorded (Secrets labelled shipgate.io/app=%s); nothing was changed. Restore by hand, or promote the version you want",
			p.s.app, p.s.environment, p.s.namespace, p.s.app)
	}
	for _, r := range all {
		if r.State == history.Promoting {
			msg, err := p.repair(ctx, r, all)
			if err != nil {
				return fmt.Errorf("repair revision %d, left promoting by a run that stopped (%s): %w", r.Number, r.RunURL, err)
			}
			p.note("Found: %s", msg)
		}
	}
	if all, err = p.store.List(ctx); err != nil {
		return fmt.Errorf("revision history: %w", err)
	}
	began := time.Now()
	cur, target, err := chooseTarget(ctx, p.store, all, s.to)
	if err != nil {
		return err
	}
	if cur != nil && cur.Number == target.Number {
		p.rev = target
		p.step(CheckTarget, fmt.Sprintf("Production already runs revision %d.", target.Number), began, nil)
		p.note("Nothing to roll back: production already runs revision %d (%s).", target.Number, target.State)
		return p.setOutputs()
	}
	if cur == nil {
		return fmt.Errorf("no revision of %s is live in %s, so there is nothing to roll back from; the history has %s", p.s.app, p.s.environment, listRevisions(all))
	}
	p.rev, p.live = *cur, &target
	desc := fmt.Sprintf("Production runs revision %d (%s); returning to revision %d (%s, image %s).", cur.Number, cur.State, target.Number, target.State, orNone(target.Image))
	if target.State != history.Good && target.State != history.Live {
		desc += fmt.Sprintf(" Revision %d is %s in the history: it never passed its watched window.", target.Number, target.State)
	}
	p.step(CheckTarget, desc, began, nil)
	objs, err := objectsOf(target)
	if err != nil {
		return err
	}
	p.loaded = deploy.Loaded{Objects: objs}
	// The strategy that made the current revision decides how it is undone.
	p.s.cfg.Strategy = cmp.Or(cur.Strategy, config.BlueGreen)
	p.replicas = byReplicas(*cur)
	pods := podSelector(objs)
	if p.s.cfg.Strategy == config.BlueGreen || p.replicas {
		if p.plan, err = p.planOf(*cur); err != nil {
			return err
		}
		pods = p.plan.Selector()
	}
	if s.fastTrack {
		p.s.cfg.Checks = config.Checks{}
		p.note("Fast-track: the checks are skipped; traffic moves at once and is still verified.")
	}
	p.gh = newRollbackDeployments(ctx, p, target)

	// The monitor watches production while traffic moves.
	if p.win, err = p.newWindow(ctx, pods); err != nil {
		return err
	}
	defer p.win.stop()
	decided := time.Now()
	if err := p.rollback(ctx, s.reason, decided); err != nil {
		p.gh.status(context.WithoutCancel(ctx), "failure", "rollback failed")
		return err
	}
	if err := p.supersede(ctx, target, all, s.reason); err != nil {
		return err
	}
	if target.State != history.Good && !p.res.Failed() {
		// Restored and verified: it is the live revision now, whatever it was.
		msg := fmt.Sprintf("restored by a rollback: %s", s.reason)
		if _, err := p.store.SetState(ctx, target.Number, history.Good, msg, nil); err != nil {
			return err
		}
	}
	state := "success"
	if p.res.Failed() {
		state = "failure"
	}
	p.gh.status(context.WithoutCancel(ctx), state, fmt.Sprintf("revision %d restored: %s", target.Number, s.reason))
	return nil
}

// chooseTarget returns the revision production runs (nil when none is
// live) and the one to return to: to, or the newest good revision other
// than the current one.
func chooseTarget(ctx context.Context, store *history.Store, all []history.Revision, to int) (*history.Revision, history.Revision, error) {
	var cur *history.Revision
	for i := range all {
		if all[i].State == history.Live || all[i].State == history.Good {
			cur = &all[i]
			break
		}
	}
	if to > 0 {
		r, err := store.Get(ctx, to)
		if err != nil {
			return nil, r, fmt.Errorf("input to-revision %d: %w", to, err)
		}
		if len(r.Objects) == 0 {
			return nil, r, fmt.Errorf("input to-revision %d: the revision has no recorded objects to restore; choose another of %s", to, listRevisions(all))
		}
		return cur, r, nil
	}
	for _, r := range all {
		if r.State == history.Good && (cur == nil || r.Number != cur.Number) && len(r.Objects) > 0 {
			return cur, r, nil
		}
	}
	if cur != nil {
		return nil, history.Revision{}, fmt.Errorf("no good revision before revision %d to return to: the history has %s; give to-revision to choose one", cur.Number, listRevisions(all))
	}
	return nil, history.Revision{}, fmt.Errorf("no good revision to return to: the history has %s", listRevisions(all))
}

func listRevisions(all []history.Revision) string {
	var parts []string
	for _, r := range all {
		parts = append(parts, fmt.Sprintf("%d (%s)", r.Number, r.State))
	}
	if len(parts) == 0 {
		return "no revisions"
	}
	slices.Reverse(parts)
	return "revisions " + strings.Join(parts, ", ")
}

// supersede marks the good revisions newer than the restored one rolled
// back too: production went back past them, so none of them is live.
func (p *promotion) supersede(ctx context.Context, target history.Revision, all []history.Revision, reason string) error {
	var errs []error
	for _, r := range all {
		if r.Number > target.Number && r.Number != p.rev.Number && r.State == history.Good {
			msg := fmt.Sprintf("superseded by the rollback to revision %d: %s", target.Number, reason)
			_, err := p.store.SetState(ctx, r.Number, history.RolledBack, msg, func(rv *history.Revision) { rv.Reason = msg })
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (p *promotion) rollbackTitle() string {
	switch {
	case p.res.Failed():
		return "Rollback incomplete"
	case p.live == nil:
		return "Nothing rolled back"
	}
	return fmt.Sprintf("Revision %d restored (from %d)", p.live.Number, p.rev.Number)
}
