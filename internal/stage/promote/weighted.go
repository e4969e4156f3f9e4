package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/gateway"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/rules"
)

// The checks of a weighted promotion: the route pointed at the revision
// Services, then one per step.
const (
	CheckRoute      = "promote/route"
	CheckStepPrefix = "promote/step-"
	// CheckRollbackSplit is the split measured after a weighted rollback.
	CheckRollbackSplit = "rollback/split"
)

// routePlan is what a weighted promotion drives: the manifests' route and
// the Services it sends traffic to, each given per revision.
type routePlan struct {
	// route is the HTTPRoute as the manifests have it.
	route kube.Object
	// services are the production Services the route names.
	services []string
	// oldVersion is what the live revision answers with, measured through
	// the route before the first step.
	oldVersion string
}

// weighted runs the new revision beside the live one, each behind its own
// backend Service, and moves the route's weights through the steps, each
// watched; a split that does not follow, a refused route or a rule that
// fires sets the weights back at once.
func (p *promotion) weighted(ctx context.Context) error {
	if p.replicas {
		return p.weightedByReplicas(ctx)
	}
	ns := p.s.namespace
	// 7. The plan: the revision's Deployments and config copies (as for
	// blue-green), its backend Services, and the route, checked against
	// the manifests before anything is applied.
	rp, err := p.planWeighted(ctx)
	if err != nil {
		return errors.Join(fmt.Errorf("input manifests %s: %w", p.env.Inputs.Manifests, err), p.markFailed(ctx, "the manifests cannot be promoted with weights: "+err.Error()))
	}
	began := time.Now()
	var shared []kube.Object
	for _, o := range p.plan.Shared {
		if !gateway.IsRoute(o) || o.Obj.GetName() != rp.route.Obj.GetName() {
			shared = append(shared, o)
		}
	}
	objs := append(append(shared, p.plan.Revisioned()...), backendServices(p.plan, rp.services)...)
	p.env.RT.Logf("promote: applying revision %d beside %s (%d objects)", p.rev.Number, previousText(p.live), len(objs))
	if applied, err := p.kc.Apply(ctx, objs, kube.ApplyOptions{Namespace: ns, Force: true}); err != nil {
		p.step(CheckDeploy, "The new revision applies and becomes ready beside the live one.", began, &result.Finding{
			Title: "The new revision did not apply; traffic never moved", Message: findingsText(kube.ApplyFindings(applied), err),
		})
		return p.abandonWeighted(ctx, "did not apply", ctx.Err())
	}
	if err := p.kc.Wait(ctx, p.plan.WorkloadIDs(), kube.WaitOptions{Timeout: p.s.timeout, Progress: func(l string) { p.env.RT.Logf("  %s", l) }}); err != nil {
		p.step(CheckDeploy, "The new revision applies and becomes ready beside the live one.", began, &result.Finding{
			Title: "The new revision did not become ready; traffic never moved", Message: err.Error(),
		})
		return p.abandonWeighted(ctx, "did not become ready", ctx.Err())
	}
	if _, err := bluegreen.EndpointsOf(ctx, p.cl.Client, backendIDs(p.plan, rp.services, p.rev.Number), p.rev.Number, verifyTimeout); err != nil {
		p.step(CheckDeploy, "The new revision applies and becomes ready beside the live one.", began, &result.Finding{
			Title: "The new revision's backend Services got no endpoints; traffic never moved", Message: err.Error(),
		})
		return p.abandonWeighted(ctx, "got no endpoints", ctx.Err())
	}
	p.step(CheckDeploy, fmt.Sprintf("Revision %d (%d Deployment(s), %d config copies, backend Service(s) %s) applied and ready beside %s.",
		p.rev.Number, len(p.plan.Workloads), len(p.plan.Copies), strings.Join(backendNames(rp.services, p.rev.Number), ", "), previousText(p.live)), began, nil)

	// 8. The checks, against the previews.
	if ok, err := p.preview(ctx); err != nil {
		return p.abandonWeighted(ctx, "could not be checked through its previews", err)
	} else if !ok {
		return p.abandonWeighted(ctx, "failed its preview checks", nil)
	}

	// 9. The monitor, then the route on the live revision's backend
	// Services at full weight: the live revision's version is measured
	// through the route before any traffic moves.
	if p.live == nil {
		return p.firstWeighted(ctx, rp)
	}
	if p.win, err = p.newWindow(ctx, p.plan.Selector()); err != nil {
		return p.abandonWeighted(ctx, "could not start the monitor", err)
	}
	defer p.win.stop()
	if ok, err := p.baseline(ctx, &rp); err != nil || !ok {
		return err
	}

	// 10. The steps, each watched; the last is followed by the window.
	steps := p.s.cfg.Weighted.StepList()
	for i, pct := range steps {
		at, ok, err := p.shift(ctx, &rp, pct)
		if err != nil || !ok {
			return err
		}
		if pct == 100 {
			return p.switchedByRoute(ctx, &rp, at)
		}
		if done, err := p.watchStep(ctx, i, len(steps), pct, at); done {
			return err
		}
	}
	return nil // unreachable: the last step is 100
}

// watchStep watches step i of n (the new revision at pct since at) for
// promote.weighted.step-watch; done when the promotion ended there: a rule
// fired or the job was cancelled (rolled back), or the watch failed.
func (p *promotion) watchStep(ctx context.Context, i, n, pct int, at time.Time) (done bool, err error) {
	stepBegan := time.Now()
	ld := p.startLoad(ctx, fmt.Sprintf("step %d%%", pct), p.s.cfg.Weighted.StepWatchFor())
	fired, err := p.win.watch(ctx, p.s.cfg.Weighted.StepWatchFor())
	missed := ld.finish()
	switch {
	case fired != nil:
		p.win.judgeRules(&p.res, fired)
		p.canaryShare(pct, at, fired)
		return true, p.rollback(context.WithoutCancel(ctx), fmt.Sprintf("at step %d of %d (%d%%): %s", i+1, n, pct, fired), fired.At)
	case err != nil && ctx.Err() != nil && p.s.cfg.RollbackWhenCancelled():
		p.win.judgeRules(&p.res, nil)
		p.step(CheckWatch, "The watched window passes.", stepBegan, &result.Finding{Title: fmt.Sprintf("The job was cancelled at step %d%%", pct), Message: "promote.rollback-on-cancel is on: traffic goes back to the last good revision."})
		return true, errors.Join(p.rollback(context.WithoutCancel(ctx), fmt.Sprintf("the job was cancelled at step %d%%", pct), time.Now()), ctx.Err())
	case err != nil:
		return true, err
	case missed != "":
		p.win.judgeRules(&p.res, nil)
		return true, p.rollback(context.WithoutCancel(ctx), fmt.Sprintf("at step %d of %d (%d%%): %s", i+1, n, pct, missed), time.Now())
	}
	return false, nil
}

// planWeighted builds the revision's plan and finds the route; the route
// must send its traffic only to Services of the manifests.
func (p *promotion) planWeighted(ctx context.Context) (routePlan, error) {
	plan, err := bluegreen.Build(p.loaded.Objects, p.s.app, p.rev.Number, p.s.namespace)
	if err != nil {
		return routePlan{}, err
	}
	route, err := gateway.Find(plan.Shared, p.s.cfg.Weighted.Route)
	if err != nil {
		return routePlan{}, err
	}
	var services []string
	for _, s := range plan.Services {
		services = append(services, s.Obj.GetName())
	}
	if err := gateway.Check(route, services); err != nil {
		return routePlan{}, err
	}
	refs, _ := gateway.Refs(route.Obj)
	var used []string
	for _, r := range refs {
		if !slices.Contains(used, r.Name) {
			used = append(used, r.Name)
		}
	}
	p.plan = plan
	if err := p.nameWorkloads(ctx); err != nil {
		return routePlan{}, err
	}
	return routePlan{route: route, services: used}, nil
}

// backendServices are the revision's own Services the route sends
// traffic to: a copy of each production Service the route names, called
// <name>-r<revision>, selecting the revision's pods.
func backendServices(plan bluegreen.Plan, services []string) []kube.Object {
	var out []kube.Object
	for _, pv := range plan.Previews {
		base := strings.TrimSuffix(pv.Obj.GetName(), bluegreen.PreviewSuffix)
		if !slices.Contains(services, base) {
			continue
		}
		c := pv
		c.Obj = pv.Obj.DeepCopy()
		c.Obj.SetName(bluegreen.Name(base, plan.Revision))
		out = append(out, c)
	}
	return out
}

func backendNames(services []string, rev int) []string {
	out := make([]string, 0, len(services))
	for _, s := range services {
		out = append(out, bluegreen.Name(s, rev))
	}
	return out
}

func backendIDs(plan bluegreen.Plan, services []string, rev int) []kube.ID {
	ns := plan.Services[0].Obj.GetNamespace()
	var out []kube.ID
	for _, n := range backendNames(services, rev) {
		out = append(out, kube.ID{Kind: "Service", Namespace: ns, Name: n})
	}
	return out
}

// routeAt is the route with the new revision at pct and the old one (if
// any) at the rest.
func (p *promotion) routeAt(rp routePlan, old, rev, pct int) (kube.Object, error) {
	backends := map[string][]gateway.Backend{}
	for _, s := range rp.services {
		var bs []gateway.Backend
		if old > 0 {
			bs = append(bs, gateway.Backend{Service: bluegreen.Name(s, old), Weight: 100 - pct})
		}
		bs = append(bs, gateway.Backend{Service: bluegreen.Name(s, rev), Weight: pct})
		backends[s] = bs
	}
	u, err := gateway.Weighted(rp.route.Obj, backends)
	if err != nil {
		return kube.Object{}, err
	}
	if u.GetNamespace() == "" {
		u.SetNamespace(p.s.namespace)
	}
	return kube.Object{Obj: u, Source: rp.route.Source}, nil
}

// probe measures the split through the configured address.
func (p *promotion) probe() *gateway.Probe {
	return &gateway.Probe{URL: p.s.cfg.Weighted.Split.URL, Header: p.s.cfg.SplitHeader(), JSON: p.s.cfg.Weighted.Split.JSON}
}

// tolerance is the configured tolerance as a fraction, nil for the
// binomial bound.
func (p *promotion) tolerance() *float64 {
	if t := p.s.cfg.Weighted.Split.Tolerance; t != nil {
		f := float64(*t)
		return &f
	}
	return nil
}

// setRoute applies the route and waits for the gateway to accept the
// change, then for the measured split to follow want; it returns when the
// change was applied and the measurement.
func (p *promotion) setRoute(ctx context.Context, route kube.Object, want gateway.Want) (applied time.Time, accepted time.Duration, m gateway.Measurement, err error) {
	wait := p.s.cfg.Weighted.GatewayWait()
	gen, err := gateway.Apply(ctx, p.kc, route)
	applied = time.Now()
	if err != nil {
		return applied, 0, m, err
	}
	at, err := gateway.WaitAccepted(ctx, p.kc.Dynamic, route.Obj.GetNamespace(), route.Obj.GetName(), gen, wait)
	if err != nil {
		return applied, 0, m, err
	}
	accepted = at.Sub(applied)
	m, err = p.probe().Follow(ctx, p.s.cfg.Weighted.SplitRequests(), want, wait)
	return applied, accepted, m, err
}

// baseline points the route at the live revision's backend Services with
// all the weight and learns the live revision's version from its answers;
// false when the promotion ended there.
func (p *promotion) baseline(ctx context.Context, rp *routePlan) (bool, error) {
	began := time.Now()
	lp, err := p.planOf(*p.live)
	if err != nil {
		return false, p.abandonWeighted(ctx, "could not rebuild the live revision's plan", err)
	}
	// The live revision's backend Services (a revision promoted another
	// way has none yet), ready before the route names them.
	old := backendServices(lp, rp.services)
	if len(old) != len(rp.services) {
		return false, p.abandonWeighted(ctx, fmt.Sprintf("cannot be weighed against revision %d, whose manifests lack a Service the route names (%v)", p.live.Number, rp.services), nil)
	}
	if _, err := p.kc.Apply(ctx, old, kube.ApplyOptions{Namespace: p.s.namespace, Force: true}); err != nil {
		return false, p.abandonWeighted(ctx, "could not give the live revision its backend Services", err)
	}
	if _, err := bluegreen.EndpointsOf(ctx, p.cl.Client, kubeIDs(old), p.live.Number, verifyTimeout); err != nil {
		return false, p.abandonWeighted(ctx, "found no endpoints behind the live revision's backend Services", err)
	}
	route, err := p.routeAt(*rp, p.live.Number, p.rev.Number, 0)
	if err != nil {
		return false, p.abandonWeighted(ctx, "could not rewrite the route", err)
	}
	_, accepted, m, err := p.setRoute(ctx, route, gateway.Want{})
	desc := fmt.Sprintf("HTTPRoute %s sends all traffic to revision %d's backend Service(s) %s", rp.route.Obj.GetName(), p.live.Number, strings.Join(backendNames(rp.services, p.live.Number), ", "))
	if err != nil {
		p.step(CheckRoute, desc+".", began, &result.Finding{Title: "The gateway did not take the route; the new revision got no traffic", Message: err.Error()})
		return false, p.restoreRoute(ctx, lp, err)
	}
	for v := range m.Counts.ByVersion {
		rp.oldVersion = v
	}
	// Kept with the revision: a rollback proves the split by it.
	if rev, err := p.store.SetState(ctx, p.rev.Number, history.Promoting, "live revision measured", func(r *history.Revision) { r.Names[versionKey(p.live.Number)] = rp.oldVersion }); err == nil {
		p.rev = rev
	}
	p.step(CheckRoute, fmt.Sprintf("%s; accepted by the gateway in %s; %d of %d measured answers named %s.", desc, accepted.Round(time.Millisecond), m.Counts.Total, m.Counts.Total, rp.oldVersion), began, nil)
	return true, nil
}

// restoreRoute puts back the route the live revision ran with, after the
// gateway refused the rewritten one, and ends the promotion.
func (p *promotion) restoreRoute(ctx context.Context, lp bluegreen.Plan, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	// Traffic first: the live revision's own route, all weight on it.
	var errs []error
	lrp, err := p.routeOf(lp)
	if err == nil {
		var route kube.Object
		if route, err = p.routeAt(lrp, 0, p.live.Number, 100); err == nil {
			_, err = gateway.Apply(cctx, p.kc, route)
		}
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("restore revision %d's route: %w", p.live.Number, err))
	}
	return errors.Join(append(errs, p.abandonWeighted(ctx, "was refused by the gateway: "+cause.Error(), nil))...)
}

// shift sets the new revision's weight to pct and proves the split; ok is
// false when it rolled back (the step's check says why).
func (p *promotion) shift(ctx context.Context, rp *routePlan, pct int) (time.Time, bool, error) {
	began := time.Now()
	name := fmt.Sprintf("%s%d", CheckStepPrefix, pct)
	route, err := p.routeAt(*rp, p.live.Number, p.rev.Number, pct)
	if err != nil {
		return began, false, err
	}
	applied, accepted, m, err := p.setRoute(ctx, route, gateway.Want{Old: rp.oldVersion, Percent: float64(pct), Tolerance: p.tolerance()})
	p.win.markAt(applied, "step", fmt.Sprintf("route weights %d/%d (revision %d/%d)", 100-pct, pct, p.live.Number, p.rev.Number))
	desc := fmt.Sprintf("At %d%% the gateway accepts the route and the measured split follows the weights", pct)
	if err != nil {
		title := fmt.Sprintf("The split did not follow the weights at %d%%", pct)
		var refused *gateway.RefusedError
		if errors.As(err, &refused) {
			title = fmt.Sprintf("The gateway refused the route at %d%%", pct)
		}
		p.step(name, desc+".", began, &result.Finding{Title: title, Message: err.Error()})
		p.win.judgeRules(&p.res, nil)
		return applied, false, p.rollback(context.WithoutCancel(ctx), strings.ToLower(title[:1])+title[1:]+": "+err.Error(), time.Now())
	}
	bound := "no answer from the other revision allowed"
	if m.Verdict.Bound > 0 {
		bound = fmt.Sprintf("allowed ±%.1f points", 100*m.Verdict.Bound)
	}
	line := fmt.Sprintf("At %d%%: %s answered (new revision's share %.1f%%, %s); accepted by the gateway %s after the change, split followed %s after it (%d requests).",
		pct, m.Counts, 100*m.Verdict.Share, bound, accepted.Round(time.Millisecond), m.At.Sub(applied).Round(time.Millisecond), m.Sent)
	p.step(name, line, began, nil)
	p.note("%s", line)
	return applied, true, nil
}

// switchedByRoute ends the steps: the production Services follow the
// route to the new revision, the revision is live, and the window
// watches it.
func (p *promotion) switchedByRoute(ctx context.Context, rp *routePlan, at time.Time) error {
	return p.switchAfterSteps(ctx, at, fmt.Sprintf("HTTPRoute %s sends all traffic to revision %d", rp.route.Obj.GetName(), p.rev.Number))
}

// switchAfterSteps ends the steps, the new revision taking all the
// traffic since at (how says how): the production Services select it
// alone, it is live, and the window watches it.
func (p *promotion) switchAfterSteps(ctx context.Context, at time.Time, how string) error {
	began := time.Now()
	changed, err := bluegreen.Switch(ctx, p.kc, append(p.plan.Selecting(p.rev.Number), p.plan.Following(p.rev.Number)...))
	if err != nil {
		p.step(CheckSwitch, "Every production Service selects the new revision.", began, &result.Finding{Title: "The switch failed", Message: err.Error()})
		return p.rollback(context.WithoutCancel(ctx), "the switch failed: "+err.Error(), time.Now())
	}
	if p.rev, err = p.store.SetState(ctx, p.rev.Number, history.Live, fmt.Sprintf("weights at 100%%, %d Service(s) switched", changed), func(r *history.Revision) { r.Switched = at }); err != nil {
		return p.rollback(context.WithoutCancel(ctx), "recording the switch failed: "+err.Error(), time.Now())
	}
	p.win.markAt(at, "switch", fmt.Sprintf("production Services on revision %d alone", p.rev.Number))
	p.step(CheckSwitch, fmt.Sprintf("%s; %d production Service(s) select it alone (%d changed).", how, len(p.plan.Services), changed), began, nil)
	return p.watchAndFinish(ctx, at)
}

// firstWeighted is a first promotion: the route sends everything to the
// only revision, measured, and the window watches it.
func (p *promotion) firstWeighted(ctx context.Context, rp routePlan) error {
	began := time.Now()
	route, err := p.routeAt(rp, 0, p.rev.Number, 100)
	if err != nil {
		return errors.Join(err, p.markFailed(ctx, "the route could not be rewritten"))
	}
	_, accepted, m, err := p.setRoute(ctx, route, gateway.Want{})
	desc := fmt.Sprintf("HTTPRoute %s sends all traffic to revision %d (first promotion)", rp.route.Obj.GetName(), p.rev.Number)
	if err != nil {
		p.step(CheckRoute, desc+".", began, &result.Finding{Title: "The gateway did not take the route", Message: err.Error()})
		return p.markFailed(ctx, "the first route change failed: "+err.Error())
	}
	p.step(CheckRoute, fmt.Sprintf("%s; accepted in %s; %s answered.", desc, accepted.Round(time.Millisecond), m.Counts), began, nil)
	// The window starts once the route serves the revision, so it judges
	// the app, not the gateway's first configuration.
	if p.win, err = p.newWindow(ctx, p.plan.Selector()); err != nil {
		return errors.Join(err, p.markFailed(ctx, "the monitor could not start after the first route change"))
	}
	defer p.win.stop()
	return p.switchedByRoute(ctx, &rp, time.Now())
}

// abandonWeighted ends a weighted promotion before any traffic moved: the
// new revision's pods go, its record is failed.
func (p *promotion) abandonWeighted(ctx context.Context, why string, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	scale := bluegreen.Scale(cctx, p.cl.Client, p.plan.WorkloadIDs(), 0)
	return errors.Join(p.abandon(ctx, why, cause), scale)
}

// canaryShare notes how the failed sampled requests of a step split
// between the revisions, by the answers' versions.
func (p *promotion) canaryShare(pct int, since time.Time, fired *rules.Firing) {
	header := p.s.cfg.VersionHeader
	total, failed := 0, 0
	byVersion, failedBy := map[string]int{}, map[string]int{}
	for _, s := range p.win.samplers {
		for _, smp := range s.Samples(since) {
			if smp.Sent.After(fired.At) {
				continue
			}
			total++
			byVersion[smp.Version]++
			if !smp.OK() {
				failed++
				failedBy[smp.Version]++
			}
		}
	}
	if total == 0 {
		return
	}
	var parts []string
	for _, v := range sortedVersions(failedBy) {
		name := v
		if name == "" {
			name = "no answer"
		} else if header != "" {
			name = header + ": " + v
		}
		parts = append(parts, fmt.Sprintf("%d answered by %s (which answered %d)", failedBy[v], name, byVersion[v]))
	}
	line := fmt.Sprintf("At %d%%, %d of %d sampled production requests failed before the rule fired", pct, failed, total)
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	p.note("%s.", line)
}

func sortedVersions(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
