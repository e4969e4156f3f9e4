package promote

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/gateway"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// versionKey is the key of a revision's Names holding the version
// revision n answered with through the route, measured before the
// revision's first step.
func versionKey(n int) string { return "split-version:" + strconv.Itoa(n) }

// routeOf finds the route of a weighted revision's plan and the Services
// it names.
func (p *promotion) routeOf(plan bluegreen.Plan) (routePlan, error) {
	route, err := gateway.Find(plan.Shared, p.s.cfg.Weighted.Route)
	if err != nil {
		return routePlan{}, err
	}
	refs, err := gateway.Refs(route.Obj)
	if err != nil {
		return routePlan{}, err
	}
	rp := routePlan{route: route}
	for _, r := range refs {
		if r.IsService() && !slices.Contains(rp.services, r.Name) {
			rp.services = append(rp.services, r.Name)
		}
	}
	return rp, nil
}

// routeBack sends all of the route's traffic to revision to again (its
// backend Services applied and given endpoints first) and switches the
// production Services to it: traffic first. It returns the route's
// generation and when the route was set.
func (p *promotion) routeBack(ctx context.Context, lp bluegreen.Plan, rp routePlan, to int) (int64, time.Time, error) {
	old := backendServices(lp, rp.services)
	if _, err := p.kc.Apply(ctx, old, kube.ApplyOptions{Namespace: p.s.namespace, Force: true}); err != nil {
		return 0, time.Time{}, fmt.Errorf("apply revision %d's backend Services: %w", to, err)
	}
	if _, err := bluegreen.EndpointsOf(ctx, p.cl.Client, kubeIDs(old), to, verifyTimeout); err != nil {
		return 0, time.Time{}, fmt.Errorf("revision %d's backend Services: %w", to, err)
	}
	route, err := p.routeAt(rp, 0, to, 100)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("rewrite the route: %w", err)
	}
	gen, err := gateway.Apply(ctx, p.kc, route)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("set the route back: %w", err)
	}
	routed := time.Now()
	if _, err := bluegreen.Switch(ctx, p.kc, append(lp.Selecting(to), lp.Following(to)...)); err != nil {
		return gen, routed, fmt.Errorf("switch the production Services back: %w", err)
	}
	return gen, routed, nil
}

// restoreWeighted sets the route's weights back to the restored revision
// at once (100/0) and the production Services with it — traffic first —
// then proves the split through the route, verifies as blue-green does,
// and scales this run's revision to zero.
func (p *promotion) restoreWeighted(ctx context.Context, to history.Revision, firedAt time.Time) error {
	var err error
	if p.plan.Revision != p.rev.Number || len(p.plan.Workloads) == 0 {
		if p.plan, err = p.planOf(p.rev); err != nil {
			return err
		}
	}
	lp, err := p.planOf(to)
	if err != nil {
		return err
	}
	// The restored revision's own route, else (it had none) this one's.
	rp, err := p.routeOf(lp)
	if err != nil {
		if rp, err = p.routeOf(p.plan); err != nil {
			return fmt.Errorf("revision %d: %w", p.rev.Number, err)
		}
	}
	// 1. Traffic first: the restored revision's pods and backend Services,
	// then the route and the Services on it.
	began := time.Now()
	fail := func(title string, err error) error {
		p.step(CheckRollbackTraffic, "Production traffic goes back to the restored revision.", began, &result.Finding{Title: title, Message: err.Error()})
		return nil
	}
	if err := p.ensureRunning(ctx, lp, to, false); err != nil {
		return fail("The restored revision could not be scaled up", err)
	}
	gen, routed, err := p.routeBack(ctx, lp, rp, to.Number)
	if err != nil {
		return fail("Traffic could not be moved back", err)
	}
	back := time.Now()
	p.step(CheckRollbackTraffic, fmt.Sprintf("HTTPRoute %s sends all traffic to revision %d again (%s after the decision) and every production Service selects it.",
		rp.route.Obj.GetName(), to.Number, routed.Sub(firedAt).Round(time.Millisecond)), began, nil)

	// 2. The split through the route: every measured answer the restored
	// revision's.
	p.verifySplit(ctx, rp, to, gen, firedAt)

	// 3–6. Verified as blue-green is.
	p.verifyPods(ctx, lp.WorkloadIDs())
	p.verifyEndpoints(ctx, append(kubeIDs(lp.Services), kubeIDs(backendServices(lp, rp.services))...), to.Number, back)
	p.verifyTraffic(ctx, back, firedAt)
	p.verifyChecks(ctx)

	// 7. The failed revision's pods go.
	if err := bluegreen.Scale(ctx, p.cl.Client, p.plan.WorkloadIDs(), 0); err != nil {
		return fmt.Errorf("scale revision %d to zero: %w", p.rev.Number, err)
	}
	return nil
}

// verifySplit waits for the gateway to accept the route set back and for
// every measured answer through it to be the restored revision's.
func (p *promotion) verifySplit(ctx context.Context, rp routePlan, to history.Revision, gen int64, firedAt time.Time) {
	began := time.Now()
	wait := p.s.cfg.Weighted.GatewayWait()
	want := gateway.Want{}
	version := p.rev.Names[versionKey(to.Number)]
	if version != "" {
		want = gateway.Want{New: version, Percent: 100}
	}
	desc := fmt.Sprintf("Every measured answer through HTTPRoute %s comes from revision %d", rp.route.Obj.GetName(), to.Number)
	if _, err := gateway.WaitAccepted(ctx, p.kc.Dynamic, p.s.namespace, rp.route.Obj.GetName(), gen, wait); err != nil {
		p.step(CheckRollbackSplit, desc+".", began, &result.Finding{Title: "The gateway did not accept the route set back", Message: err.Error()})
		return
	}
	m, err := p.probe().Follow(ctx, p.s.cfg.Weighted.SplitRequests(), want, wait)
	if err != nil {
		p.step(CheckRollbackSplit, desc+".", began, &result.Finding{Title: "The split did not go back to the restored revision", Message: err.Error()})
		return
	}
	named := "one version"
	if version != "" {
		named = fmt.Sprintf("the version it answered with before the promotion, %s", version)
	} else {
		named += " (the restored revision's version was not measured before, so answers are judged by being all alike)"
	}
	var got []string
	for v, n := range m.Counts.ByVersion {
		got = append(got, fmt.Sprintf("%d %s", n, v))
	}
	p.step(CheckRollbackSplit, fmt.Sprintf("%s: %s of %d answers, naming %s; all of them %s after the decision.", desc, strings.Join(got, ", "), m.Counts.Total, named, m.At.Sub(firedAt).Round(time.Millisecond)), began, nil)
	p.note("Rolled back through the route: %d of %d measured answers from revision %d, %s after the decision.", m.Counts.Total, m.Counts.Total, to.Number, m.At.Sub(firedAt).Round(time.Millisecond))
}
