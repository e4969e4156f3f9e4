package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/health"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// blueGreen runs the new revision beside the live one, checks it through
// its preview Services, switches production to it and watches it.
func (p *promotion) blueGreen(ctx context.Context) error {
	if ok, err := p.besideLive(ctx); !ok {
		return err
	}

	// 9–10. The switch, in one pass, under the watched window's monitor:
	// it starts before the switch so the live revision's answers and the
	// switch are on the timeline — except on a first promotion, whose
	// production Services the switch creates.
	var err error
	first := p.live == nil
	if !first {
		if p.win, err = p.newWindow(ctx, p.plan.Selector()); err != nil {
			return p.abandon(ctx, "could not start the monitor", err)
		}
		defer p.win.stop()
	}
	if err := p.lockHeld(); err != nil {
		return err
	}
	began := time.Now()
	changed, err := bluegreen.Switch(ctx, p.kc, append(p.plan.Selecting(p.rev.Number), p.plan.Following(p.rev.Number)...))
	switched := time.Now()
	if first && err == nil {
		// The Services are new: the window starts once their endpoints are
		// the revision's, so it judges the app, not the endpoints controller.
		if _, err := bluegreen.EndpointsOf(ctx, p.cl.Client, kubeIDs(p.plan.Services), p.rev.Number, verifyTimeout); err != nil {
			return errors.Join(err, p.markFailed(ctx, "the first switch's Services got no endpoints"))
		}
		if p.win, err = p.newWindow(ctx, p.plan.Selector()); err != nil {
			return errors.Join(err, p.markFailed(ctx, "the monitor could not start after the first switch"))
		}
		defer p.win.stop()
	}
	if p.win != nil {
		p.win.markAt(switched, "switch", fmt.Sprintf("production Services switched to revision %d", p.rev.Number))
	}
	if err != nil {
		p.step(CheckSwitch, "Every production Service selects the new revision.", began, &result.Finding{Title: "The switch failed", Message: err.Error()})
		return p.rollback(context.WithoutCancel(ctx), "the switch failed: "+err.Error(), switched)
	}
	if p.rev, err = p.store.SetState(ctx, p.rev.Number, history.Live, fmt.Sprintf("%d Service(s) switched", changed), func(r *history.Revision) { r.Switched = switched }); err != nil {
		return p.rollback(context.WithoutCancel(ctx), "recording the switch failed: "+err.Error(), switched)
	}
	p.step(CheckSwitch, fmt.Sprintf("%d production Service(s) switched to revision %d in %s (%d changed); HPAs and PDBs follow it.",
		len(p.plan.Services), p.rev.Number, switched.Sub(began).Round(time.Millisecond), changed), began, nil)

	// 11. The watched window; a rule that fires takes production back.
	return p.watchAndFinish(ctx, switched)
}

// watchAndFinish watches the window after the switch, then keeps the old
// revision for the scale-down delay and prunes; a rule that fires (or a
// cancelled job) rolls back.
func (p *promotion) watchAndFinish(ctx context.Context, switched time.Time) error {
	window := p.s.cfg.WatchWindow()
	ld := p.startLoad(ctx, "watched window", window)
	fired, err := p.win.watch(ctx, window)
	if missed := ld.finish(); missed != "" && err == nil && fired == nil {
		p.win.judgeRules(&p.res, nil)
		p.step(CheckWatch, "The watched window passes.", switched, &result.Finding{Title: "The load missed its limits in the watched window", Message: missed})
		return p.rollback(context.WithoutCancel(ctx), missed, time.Now())
	}
	if err == nil && fired == nil {
		p.passed(ctx, switched)
		// The old revision stays for the scale-down delay, still watched.
		if d := p.s.cfg.ScaleDown(); d > 0 && p.live != nil {
			p.env.RT.Logf("promote: revision %d keeps running for %s (scale-down-delay); the rules are still evaluated", p.live.Number, d)
			fired, err = p.win.watch(ctx, d)
		}
	}
	p.win.judgeRules(&p.res, fired)
	switch {
	case fired != nil:
		return p.rollback(context.WithoutCancel(ctx), fired.String(), fired.At)
	case err != nil && ctx.Err() != nil && p.s.cfg.RollbackWhenCancelled() && p.rev.State != history.Good:
		p.step(CheckWatch, "The watched window passes.", switched, &result.Finding{Title: "The job was cancelled inside the watched window", Message: "promote.rollback-on-cancel is on: production goes back to the last good revision."})
		return errors.Join(p.rollback(context.WithoutCancel(ctx), "the job was cancelled inside the watched window", time.Now()), ctx.Err())
	case err != nil:
		return err
	}
	return p.scaleDownAndPrune(ctx)
}

// passed marks the revision good once the window passed.
func (p *promotion) passed(ctx context.Context, switched time.Time) {
	window := p.s.cfg.WatchWindow()
	rev, err := p.store.SetState(ctx, p.rev.Number, history.Good, fmt.Sprintf("watched for %s", window), func(r *history.Revision) { r.Finished = p.env.Now() })
	if err != nil {
		p.env.RT.Warnf("mark revision %d good: %v", p.rev.Number, err)
	} else {
		p.rev = rev
	}
	desc := fmt.Sprintf("The watched window of %s passed with every rule quiet (%d evaluations every %s).", window, p.win.rounds, p.s.cfg.EvalInterval())
	if window == 0 {
		desc = "No watched window (promote.watch is 0): the revision is good once switched."
	}
	p.step(CheckWatch, desc, switched, nil)
}

// besideLive applies the new revision beside the live one, waits for it
// and checks it through its previews (steps 7–8); false when the
// promotion ended there (the revision abandoned, traffic never moved).
func (p *promotion) besideLive(ctx context.Context) (bool, error) {
	ns := p.s.namespace
	// 7. The revision's config copies, workloads and previews (and the
	// shared objects, in place), then readiness.
	began := time.Now()
	objs := append(append([]kube.Object(nil), p.plan.Shared...), p.plan.Revisioned()...)
	p.env.RT.Logf("promote: applying revision %d beside %s (%d objects)", p.rev.Number, previousText(p.live), len(objs))
	applied, err := p.kc.Apply(ctx, objs, kube.ApplyOptions{Namespace: ns, Force: true})
	if err != nil {
		if ctx.Err() != nil {
			return false, p.abandon(ctx, "cancelled while applying", ctx.Err())
		}
		p.step(CheckDeploy, "The new revision applies and becomes ready beside the live one.", began, &result.Finding{
			Title: "The new revision did not apply; traffic never moved", Message: findingsText(kube.ApplyFindings(applied), err),
		})
		return false, p.abandon(ctx, "did not apply", nil)
	}
	werr := p.kc.Wait(ctx, p.plan.WorkloadIDs(), kube.WaitOptions{Timeout: p.s.timeout, Progress: func(l string) { p.env.RT.Logf("  %s", l) }})
	if werr != nil {
		if ctx.Err() != nil {
			return false, p.abandon(ctx, "cancelled while waiting for readiness", ctx.Err())
		}
		p.step(CheckDeploy, "The new revision applies and becomes ready beside the live one.", began, &result.Finding{
			Title: "The new revision did not become ready; traffic never moved", Message: werr.Error(),
		})
		return false, p.abandon(ctx, "did not become ready", nil)
	}
	p.step(CheckDeploy, fmt.Sprintf("Revision %d (%d Deployment(s), %d config copies, %d preview Service(s)) applied and ready beside %s.",
		p.rev.Number, len(p.plan.Workloads), len(p.plan.Copies), len(p.plan.Previews), previousText(p.live)), began, nil)

	// 8. The checks, against the previews.
	if ok, err := p.preview(ctx); err != nil {
		return false, p.abandon(ctx, "could not be checked through its previews", err)
	} else if !ok {
		return false, p.abandon(ctx, "failed its preview checks", nil)
	}
	return true, nil
}

// preview runs the checks against the preview Services; false when they
// failed (traffic never moves).
func (p *promotion) preview(ctx context.Context) (bool, error) {
	cfg := p.s.cfg.Checks
	if cfg.Count() == 0 {
		p.skip(CheckPreview, "no promote.checks configured: the new revision is only checked for readiness before the switch")
		return true, nil
	}
	began := time.Now()
	r, err := httpcheck.NewResolver(p.cl.Config, p.cl.Client, p.s.namespace)
	if err != nil {
		return false, err
	}
	svc, biz := previewChecks(cfg, p.plan)
	loc := health.LocateIn(p.loaded.Objects, p.s.namespace)
	checks, err := health.Service(ctx, r, svc, loc)
	if err == nil {
		var more []result.Check
		more, err = health.Business(ctx, r, biz, loc)
		checks = append(checks, more...)
	}
	if err != nil {
		return false, fmt.Errorf("preview checks: %w", err)
	}
	var failed []string
	for _, c := range checks {
		if c.Failed() {
			failed = append(failed, c.Findings[0].Title)
		}
	}
	if len(failed) > 0 {
		p.step(CheckPreview, "The checks pass against the new revision's preview Services before the switch.", began, &result.Finding{
			Title: "The new revision failed its preview checks; traffic never moved", Message: bulletList(failed),
		})
		return false, nil
	}
	p.step(CheckPreview, fmt.Sprintf("%d check(s) passed against the preview Services of revision %d.", len(checks), p.rev.Number), began, nil)
	return true, nil
}

// previewChecks aims the checks at the preview Services: a check of a
// production Service of the plan checks its preview instead.
func previewChecks(c config.Checks, plan bluegreen.Plan) ([]config.ServiceCheck, config.Business) {
	names := map[string]bool{}
	for _, s := range plan.Services {
		names[s.Obj.GetName()] = true
	}
	aim := func(e config.Endpoint) config.Endpoint {
		ns, name := e.ServiceRef()
		if e.Service != "" && names[name] {
			e.Service = name + bluegreen.PreviewSuffix
			if ns != "" {
				e.Service = ns + "/" + e.Service
			}
		}
		return e
	}
	svc := make([]config.ServiceCheck, len(c.Service))
	for i, s := range c.Service {
		s.Name = s.DisplayName()
		s.Endpoint = aim(s.Endpoint)
		svc[i] = s
	}
	biz := c.Business
	biz.JSON = make([]config.HTTPCheck, len(c.Business.JSON))
	for i, j := range c.Business.JSON {
		j.Name = j.DisplayName()
		j.Endpoint = aim(j.Endpoint)
		biz.JSON[i] = j
	}
	return svc, biz
}

// abandon ends a promotion that never switched: the new revision scaled
// to zero, its record failed. cause, when set, is returned (wrapped).
func (p *promotion) abandon(ctx context.Context, why string, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	msg := fmt.Sprintf("revision %d %s; production stays on %s", p.rev.Number, why, previousText(p.live))
	errs := []error{cause}
	if p.s.cfg.StrategyName() == config.BlueGreen {
		errs = append(errs, bluegreen.Scale(cctx, p.cl.Client, p.plan.WorkloadIDs(), 0))
	}
	if rev, err := p.store.SetState(cctx, p.rev.Number, history.Failed, msg, func(r *history.Revision) { r.Reason = msg; r.Finished = p.env.Now() }); err != nil {
		errs = append(errs, err)
	} else {
		p.rev = rev
	}
	p.note("%s.", upperFirst(msg))
	return errors.Join(errs...)
}

// markFailed marks the revision failed with why.
func (p *promotion) markFailed(ctx context.Context, why string) error {
	rev, err := p.store.SetState(context.WithoutCancel(ctx), p.rev.Number, history.Failed, why, func(r *history.Revision) { r.Reason = why; r.Finished = p.env.Now() })
	if err == nil {
		p.rev = rev
	}
	return err
}

func findingsText(fs []result.Finding, err error) string {
	var lines []string
	for _, f := range fs {
		lines = append(lines, fmt.Sprintf("%s %s: %s", f.Location(), f.Title, f.Message))
	}
	if len(lines) == 0 && err != nil {
		lines = append(lines, err.Error())
	}
	return bulletList(lines)
}

func bulletList(lines []string) string {
	out := ""
	for _, l := range lines {
		out += "- " + l + "\n"
	}
	return out
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
