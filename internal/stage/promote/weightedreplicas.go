package promote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/gateway"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// CheckBaseline is the live revision's answers, measured before a
// weighted promotion by replica counts moves any traffic.
const CheckBaseline = "promote/baseline"

// weightsKey records in a revision's Names what carried its weights when
// they were replica counts, so a rollback, the post step and a repair undo
// it as they undo blue-green.
const weightsKey = "weighted-by"

// byReplicas reports whether revision r was promoted with weights set by
// replica counts.
func byReplicas(r history.Revision) bool {
	return r.Strategy == config.Weighted && r.Names[weightsKey] == config.ByReplicas
}

// chooseWeights decides what carries a weighted promotion's weights:
// promote.weighted.by, else a route when the manifests hold an HTTPRoute
// and replica counts when they hold none. It checks what the choice
// needs of the manifests and of promote.weighted.split, before any
// change.
func (p *promotion) chooseWeights(objs []kube.Object) error {
	w := p.s.cfg.Weighted
	hasRoute := false
	for _, o := range objs {
		hasRoute = hasRoute || gateway.IsRoute(o)
	}
	by := w.By
	if by == "" {
		by = config.ByReplicas
		if hasRoute {
			by = config.ByRoute
		}
	}
	if by == config.ByRoute {
		if w.Split.Service != "" {
			return fmt.Errorf("promote.weighted.split.service %q: the manifests route traffic with an HTTPRoute, and a Service measured directly bypasses the gateway; set split.url to the route's public address (or promote.weighted.by: replicas to weigh by pod counts)", w.Split.Service)
		}
		return nil
	}
	plan, err := bluegreen.Build(objs, p.s.app, 1, p.s.namespace)
	if err != nil {
		return err
	}
	for _, f := range plan.Followers {
		if f.Obj.GetKind() == "HorizontalPodAutoscaler" {
			return fmt.Errorf("%s (%s): weights by replica counts set the Deployments' replicas at every step, which an HPA would undo; route traffic with an HTTPRoute (promote.weighted.by: route) or use promote.strategy blue-green", f.ID(), f.Source)
		}
	}
	if s := w.Split.Service; s != "" {
		ns, name := w.Split.ServiceRef()
		if (ns != "" && ns != p.s.namespace) || !slices.ContainsFunc(plan.Services, func(o kube.Object) bool { return o.Obj.GetName() == name }) {
			return fmt.Errorf("promote.weighted.split.service %q: not a Service of the manifests in namespace %s (they have %s); name the production Service whose split is measured", s, p.s.namespace, strings.Join(objectNames(plan.Services), ", "))
		}
	}
	p.replicas = true
	return nil
}

func objectNames(objs []kube.Object) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.Obj.GetName())
	}
	return out
}

// podShare is one step's pods: how many of each revision every workload
// runs, and what share of the measured Service's pods are the new
// revision's.
type podShare struct {
	old, new map[kube.ID]int32 // by the manifests' Deployment
	// endpoints is how many ready endpoints of each revision every
	// production Service has at this step.
	endpoints map[kube.ID]map[int]int
	// percent is the new revision's share of the measured Service's pods.
	percent float64
	// measured names the Service the share is of.
	measured string
}

// splitPods is how many of replicas pods each revision runs when the new
// one should take pct percent of the traffic: the nearest count, at least
// one of each below 100 (so one replica splits 1:1, the closest it can).
func splitPods(replicas int32, pct int) (old, new int32) {
	if pct >= 100 {
		return 0, replicas
	}
	new = int32(math.Round(float64(replicas) * float64(pct) / 100))
	new = min(max(new, 1), max(replicas-1, 1))
	return max(replicas-new, 1), new
}

// replicasOf is a Deployment's spec.replicas, 1 when not set.
func replicasOf(o kube.Object) int32 {
	if n, ok, _ := unstructured.NestedInt64(o.Obj.Object, "spec", "replicas"); ok {
		return int32(n)
	}
	return 1
}

// shareAt computes the pods of step pct between the live plan lp and the
// new one.
func (p *promotion) shareAt(lp bluegreen.Plan, pct int) (podShare, error) {
	ps := podShare{old: map[kube.ID]int32{}, new: map[kube.ID]int32{}, endpoints: map[kube.ID]map[int]int{}}
	olds, news := map[kube.ID]bool{}, map[kube.ID]bool{}
	for _, w := range lp.Workloads {
		olds[w.Base] = true
	}
	for _, w := range p.plan.Workloads {
		news[w.Base] = true
		if !olds[w.Base] {
			return ps, fmt.Errorf("%s is not in revision %d: weights by replica counts need the same Deployments in both revisions (use promote.strategy blue-green for this change)", w.Base, p.live.Number)
		}
		ps.old[w.Base], ps.new[w.Base] = splitPods(replicasOf(w.Object), pct)
	}
	for id := range olds {
		if !news[id] {
			return ps, fmt.Errorf("%s of revision %d is not in the new manifests: weights by replica counts need the same Deployments in both revisions (use promote.strategy blue-green for this change)", id, p.live.Number)
		}
	}
	_, measured := p.s.cfg.Weighted.Split.ServiceRef()
	total := 0
	for i, svc := range p.plan.Services {
		sel, _, _ := unstructured.NestedStringMap(svc.Obj.Object, "spec", "selector")
		delete(sel, bluegreen.LabelRevision)
		counts := map[int]int{}
		for _, w := range p.plan.Workloads {
			tl, _, _ := unstructured.NestedStringMap(w.Object.Obj.Object, "spec", "template", "metadata", "labels")
			if labels.SelectorFromSet(sel).Matches(labels.Set(tl)) {
				counts[p.live.Number] += int(ps.old[w.Base])
				counts[p.rev.Number] += int(ps.new[w.Base])
			}
		}
		ps.endpoints[svc.ID()] = counts
		if (measured == "" && i == 0) || svc.Obj.GetName() == measured {
			ps.measured, total = svc.Obj.GetName(), counts[p.rev.Number]+counts[p.live.Number]
			if total > 0 {
				ps.percent = 100 * float64(counts[p.rev.Number]) / float64(total)
			}
		}
	}
	switch {
	case ps.measured == "":
		return ps, fmt.Errorf("promote.weighted.split.service %q: not a production Service of the manifests", measured)
	case total == 0:
		return ps, fmt.Errorf("Service %s selects the pods of no Deployment of the manifests, so its split cannot follow the replica counts; measure a Service that does (promote.weighted.split.service)", ps.measured)
	}
	return ps, nil
}

// text says the step's pods, e.g. "web 1 new : 2 old".
func (ps podShare) text() string {
	var parts []string
	for id, n := range ps.new {
		parts = append(parts, fmt.Sprintf("%s %d new : %d old", id.Name, n, ps.old[id]))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// newText says the new revision's pods, e.g. "web 4".
func (ps podShare) newText() string { return countsText(ps.new) }

// oldText says the old revision's pods.
func (ps podShare) oldText() string { return countsText(ps.old) }

func countsText(counts map[kube.ID]int32) string {
	var parts []string
	for id, n := range counts {
		parts = append(parts, fmt.Sprintf("%s %d", id.Name, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// weightedByReplicas is a weighted promotion without a route: the new
// revision's share of the pods behind the production Services is its
// weight. Both revisions run side by side as in blue-green; at the first
// step the production Services select the pods of both, and at each step
// the replica counts move (the new revision up first, then the old one
// down, so capacity never drops); the split is measured and each step
// watched. At 100 the Services select the new revision alone.
func (p *promotion) weightedByReplicas(ctx context.Context) error {
	plan, err := bluegreen.Build(p.loaded.Objects, p.s.app, p.rev.Number, p.s.namespace)
	if err != nil {
		return errors.Join(fmt.Errorf("input manifests %s: %w", p.env.Inputs.Manifests, err), p.markFailed(ctx, "the manifests cannot be promoted with weights: "+err.Error()))
	}
	p.plan = plan
	if err := p.nameWorkloads(ctx); err != nil {
		return err
	}
	p.note("Weights by replica counts (no HTTPRoute in the manifests): the split is per pod, not per request — the new revision's share of the pods behind the production Services, which spread connections over their pods.")
	if p.live == nil {
		p.note("First promotion: there is no live revision to weigh against, so the production Services switch to revision %d in one pass.", p.rev.Number)
		return p.blueGreen(ctx)
	}
	if p.live.Strategy == config.Rolling {
		return p.markFailed(ctx, fmt.Sprintf("revision %d was promoted with strategy rolling, whose Deployments cannot run beside a new revision; promote once with blue-green, then weighted", p.live.Number))
	}
	lp, err := p.planOf(*p.live)
	if err != nil {
		return p.abandon(ctx, "could not rebuild the live revision's plan", err)
	}
	for _, f := range lp.Followers {
		if f.Obj.GetKind() == "HorizontalPodAutoscaler" {
			return p.markFailed(ctx, fmt.Sprintf("revision %d has an HPA (%s), which would undo the replica counts of its Deployments at every step; promote once with blue-green, then weighted", p.live.Number, f.ID()))
		}
	}
	steps := p.s.cfg.Weighted.StepList()
	for _, pct := range steps {
		if _, err := p.shareAt(lp, pct); err != nil {
			return errors.Join(fmt.Errorf("input manifests %s: %w", p.env.Inputs.Manifests, err), p.markFailed(ctx, err.Error()))
		}
	}

	// 7–8. Beside the live revision, checked through its previews.
	if ok, err := p.besideLive(ctx); !ok {
		return err
	}

	// 9. The monitor, and the live revision's version measured before any
	// traffic moves.
	if p.win, err = p.newWindow(ctx, p.plan.Selector()); err != nil {
		return p.abandon(ctx, "could not start the monitor", err)
	}
	defer p.win.stop()
	probe, err := p.podProbe(ctx)
	if err != nil {
		return p.abandon(ctx, "could not reach promote.weighted.split", err)
	}
	oldVersion, ok, err := p.podBaseline(ctx, probe)
	if !ok {
		return err
	}

	// 10. The steps, each watched; the last is followed by the window.
	for i, pct := range steps {
		at, ok, err := p.shiftPods(ctx, lp, probe, oldVersion, pct, i == 0)
		if err != nil || !ok {
			return err
		}
		if pct == 100 {
			return p.switchAfterSteps(ctx, at, fmt.Sprintf("Revision %d runs all of its pods and, since step 100%%, the production Services send it all traffic", p.rev.Number))
		}
		if done, err := p.watchStep(ctx, i, len(steps), pct, at); done {
			return err
		}
	}
	return nil // unreachable: the last step is 100
}

// podProbe measures the split at promote.weighted.split: its url, or a
// production Service through the API server's service proxy, which picks
// a ready endpoint at random for every request.
func (p *promotion) podProbe(ctx context.Context) (*gateway.Probe, error) {
	probe := p.probe()
	split := p.s.cfg.Weighted.Split
	if split.Service == "" {
		return probe, nil
	}
	ns, name := split.ServiceRef()
	st, err := kube.ServiceTarget{Namespace: cmp.Or(ns, p.s.namespace), Name: name, Scheme: split.Scheme, Port: split.Port, Path: split.RequestPath()}.Resolve(ctx, p.cl.Client)
	if err != nil {
		return nil, fmt.Errorf("promote.weighted.split.service: %w", err)
	}
	t, err := kube.Transport(p.cl.Config, false)
	if err != nil {
		return nil, err
	}
	probe.URL = st.URL(p.cl.Config.Host)
	probe.Client = &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return probe, nil
}

// splitPlace names where the split is measured, for the summary.
func (p *promotion) splitPlace() string {
	if s := p.s.cfg.Weighted.Split; s.Service != "" {
		return s.Endpoint.String() + " (through the API server's service proxy)"
	}
	return p.s.cfg.Weighted.Split.URL
}

// podBaseline measures the live revision's version while the production
// Services select it alone; ok is false when the promotion ended there.
func (p *promotion) podBaseline(ctx context.Context, probe *gateway.Probe) (string, bool, error) {
	began := time.Now()
	m, err := probe.Follow(ctx, p.s.cfg.Weighted.SplitRequests(), gateway.Want{}, p.s.cfg.Weighted.GatewayWait())
	desc := fmt.Sprintf("Revision %d's answers at %s, before any pod of revision %d serves", p.live.Number, p.splitPlace(), p.rev.Number)
	if err != nil {
		p.step(CheckBaseline, desc+".", began, &result.Finding{Title: "The live revision's answers could not be measured; traffic never moved", Message: err.Error()})
		return "", false, p.abandon(ctx, "could not measure the live revision's answers", nil)
	}
	var version string
	for v := range m.Counts.ByVersion {
		version = v
	}
	if rev, err := p.store.SetState(ctx, p.rev.Number, history.Promoting, "live revision measured", func(r *history.Revision) { r.Names[versionKey(p.live.Number)] = version }); err != nil {
		p.env.RT.Warnf("promote: record revision %d's version %s (a rollback judges its answers by status then): %v", p.live.Number, version, err)
	} else {
		p.rev = rev
	}
	p.step(CheckBaseline, fmt.Sprintf("%s: %d of %d answers named %s.", desc, m.Counts.Total, m.Counts.Total, version), began, nil)
	return version, true, nil
}

// shiftPods sets the pods of step pct and proves the split: the new
// revision up first, then (at the first step) the production Services on
// both revisions, then the old revision down; the endpoints must follow,
// then the measured split. ok is false when it rolled back.
func (p *promotion) shiftPods(ctx context.Context, lp bluegreen.Plan, probe *gateway.Probe, oldVersion string, pct int, first bool) (time.Time, bool, error) {
	began := time.Now()
	name := fmt.Sprintf("%s%d", CheckStepPrefix, pct)
	ps, err := p.shareAt(lp, pct)
	if err != nil {
		return began, false, err
	}
	desc := fmt.Sprintf("At %d%% the pods are set and the measured split follows them", pct)
	fail := func(title string, err error) (time.Time, bool, error) {
		p.step(name, desc+".", began, &result.Finding{Title: title, Message: err.Error()})
		p.win.judgeRules(&p.res, nil)
		return began, false, p.rollback(context.WithoutCancel(ctx), strings.ToLower(title[:1])+title[1:]+": "+err.Error(), time.Now())
	}
	wait := p.s.cfg.Weighted.GatewayWait()
	// The new revision first: capacity never drops.
	if err := scaleEach(ctx, p, p.plan, ps.new); err != nil {
		return fail(fmt.Sprintf("Revision %d's pods could not be set at %d%%", p.rev.Number, pct), err)
	}
	if err := p.kc.Wait(ctx, p.plan.WorkloadIDs(), kube.WaitOptions{Timeout: p.s.timeout}); err != nil {
		return fail(fmt.Sprintf("Revision %d's pods were not ready at %d%%", p.rev.Number, pct), err)
	}
	switch {
	case pct == 100:
		// The last step is the switch: the Services select the new
		// revision alone, and the old one keeps its pods for a rollback
		// until the window and the scale-down delay have passed.
		if _, err := bluegreen.Switch(ctx, p.kc, append(p.plan.Selecting(p.rev.Number), p.plan.Following(p.rev.Number)...)); err != nil {
			return fail("The production Services could not be switched to the new revision", err)
		}
	case first:
		if _, err := bluegreen.Switch(ctx, p.kc, p.plan.SelectingEvery()); err != nil {
			return fail("The production Services could not select both revisions", err)
		}
		fallthrough
	default:
		if err := scaleEach(ctx, p, lp, ps.old); err != nil {
			return fail(fmt.Sprintf("Revision %d's pods could not be set at %d%%", p.live.Number, pct), err)
		}
	}
	applied := time.Now()
	if pct < 100 {
		p.lastOld = ps.oldText()
	}
	p.win.markAt(applied, "step", fmt.Sprintf("pods at %d%%: %s", pct, ps.text()))
	for id, want := range ps.endpoints {
		if _, err := bluegreen.EndpointsCount(ctx, p.cl.Client, id, want, p.s.timeout); err != nil {
			return fail(fmt.Sprintf("The endpoints did not follow the pods at %d%%", pct), err)
		}
	}
	m, err := probe.Follow(ctx, p.s.cfg.Weighted.SplitRequests(), gateway.Want{Old: oldVersion, Percent: ps.percent, Tolerance: p.tolerance()}, wait)
	if err != nil {
		return fail(fmt.Sprintf("The split did not follow the pods at %d%%", pct), err)
	}
	bound := "no answer from the other revision allowed"
	if m.Verdict.Bound > 0 {
		bound = fmt.Sprintf("allowed ±%.1f points", 100*m.Verdict.Bound)
	}
	pods := fmt.Sprintf("pods %s, so the new revision has %.1f%% of Service %s's pods (per pod, not per request)", ps.text(), ps.percent, ps.measured)
	if pct == 100 {
		pods = fmt.Sprintf("the production Services select revision %d alone (%s); revision %d keeps the pods of the step before (%s) until the window passes", p.rev.Number, ps.newText(), p.live.Number, p.lastOld)
	}
	line := fmt.Sprintf("At %d%%: %s; %s answered (new revision's share %.1f%%, %s); split followed %s after the pods were set (%d requests).",
		pct, pods, m.Counts, 100*m.Verdict.Share, bound, m.At.Sub(applied).Round(time.Millisecond), m.Sent)
	p.step(name, line, began, nil)
	p.note("%s", line)
	return applied, true, nil
}

// scaleEach sets the replicas of plan's Deployments, each to its count.
func scaleEach(ctx context.Context, p *promotion, plan bluegreen.Plan, counts map[kube.ID]int32) error {
	var errs []error
	for _, w := range plan.Workloads {
		if n, ok := counts[w.Base]; ok {
			errs = append(errs, bluegreen.Scale(ctx, p.cl.Client, []kube.ID{w.Object.ID()}, n))
		}
	}
	return errors.Join(errs...)
}
