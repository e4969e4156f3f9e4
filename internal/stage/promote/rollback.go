package promote

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/health"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/monitor"
	"github.com/shipgate/shipgate/internal/result"
)

// The checks of a rollback, in the order they run.
const (
	CheckRollbackTraffic  = "rollback/traffic"
	CheckRollbackPods     = "rollback/pods-ready"
	CheckRollbackEndpoint = "rollback/endpoints"
	CheckRollbackAnswered = "rollback/traffic-answered"
	CheckRollbackChecks   = "rollback/checks"
)

// verifyTimeout bounds each verification of a rollback.
const verifyTimeout = time.Minute

// rollback takes production back to the live revision — traffic first,
// then verified — and marks this run's revision rolled back with why.
// firedAt is when the decision was taken (the evaluation that fired).
func (p *promotion) rollback(ctx context.Context, why string, firedAt time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, p.s.timeout+5*verifyTimeout)
	defer cancel()
	if p.live == nil {
		msg := fmt.Sprintf("revision %d failed in production (%s); it was the first promotion, so there is no earlier revision to roll back to and it keeps serving", p.rev.Number, why)
		p.note("%s.", upperFirst(msg))
		_, err := p.store.SetState(ctx, p.rev.Number, history.Failed, msg, func(r *history.Revision) { r.Reason = why; r.Finished = p.env.Now() })
		return err
	}
	p.rolledBack = true
	to := *p.live
	p.env.RT.Warnf("promote: rolling back revision %d to %d: %s", p.rev.Number, to.Number, why)
	if p.win != nil {
		p.win.mark("rollback", fmt.Sprintf("rollback to revision %d: %s", to.Number, why))
	}
	var err error
	if p.s.cfg.StrategyName() == config.Weighted && !p.replicas {
		err = p.restoreWeighted(ctx, to, firedAt)
	} else if p.s.cfg.StrategyName() == config.Rolling {
		err = p.restoreRolling(ctx, to, firedAt)
	} else {
		err = p.restoreBlueGreen(ctx, to, firedAt)
	}
	msg := fmt.Sprintf("rolled back to revision %d: %s", to.Number, why)
	if rev, serr := p.store.SetState(ctx, p.rev.Number, history.RolledBack, msg, func(r *history.Revision) { r.Reason = why; r.Finished = p.env.Now() }); serr != nil {
		err = errors.Join(err, serr)
	} else {
		p.rev = rev
	}
	onBad := p.env.Now().Sub(p.rev.Switched)
	if p.rev.Switched.IsZero() {
		onBad = 0
	}
	p.env.RT.Errorf("Rolled back revision %d to %d at %s: %s; production was on revision %d for %s.",
		p.rev.Number, to.Number, firedAt.UTC().Format("15:04:05.000"), why, p.rev.Number, onBad.Round(time.Millisecond))
	p.note("Rolled back to revision %d: %s. Production was on revision %d for %s.", to.Number, why, p.rev.Number, onBad.Round(time.Millisecond))
	return err
}

// restoreBlueGreen switches the production Services back to revision to
// (scaling it up first if it was scaled down), then verifies, and scales
// this run's revision to zero.
func (p *promotion) restoreBlueGreen(ctx context.Context, to history.Revision, firedAt time.Time) error {
	lp, err := p.planOf(to)
	if err != nil {
		return err
	}
	// 1. Traffic first: the restored revision must have pods to take it.
	began := time.Now()
	if err := p.ensureRunning(ctx, lp, to, p.replicas); err != nil {
		if !p.replicas {
			p.step(CheckRollbackTraffic, "Production traffic goes back to the restored revision.", began, &result.Finding{Title: "The restored revision could not be scaled up", Message: err.Error()})
			return nil
		}
		// Weights by replica counts: the restored revision still serves
		// with the pods it had, and the failed one must stop serving.
		p.env.RT.Warnf("promote: revision %d could not be scaled back up before traffic moved (%v); traffic moves to the pods it has", to.Number, err)
		p.note("Revision %d could not be scaled back to its manifests' pods before traffic moved (%s); traffic moved to the pods it had.", to.Number, err)
	}
	if _, err := bluegreen.Switch(ctx, p.kc, append(lp.Selecting(to.Number), lp.Following(to.Number)...)); err != nil {
		p.step(CheckRollbackTraffic, "Production traffic goes back to the restored revision.", began, &result.Finding{Title: "The switch back failed", Message: err.Error()})
		return nil
	}
	back := time.Now()
	p.step(CheckRollbackTraffic, fmt.Sprintf("Every production Service selects revision %d again, %s after the decision.", to.Number, back.Sub(firedAt).Round(time.Millisecond)), began, nil)

	// 2–5. Verified.
	p.verifyPods(ctx, lp.WorkloadIDs())
	began = time.Now()
	p.verifyEndpoints(ctx, kubeIDs(lp.Services), to.Number, back)
	p.verifyTraffic(ctx, back, firedAt)
	p.verifyChecks(ctx)

	// 6. The failed revision's pods go.
	if err := bluegreen.Scale(ctx, p.cl.Client, p.plan.WorkloadIDs(), 0); err != nil {
		return fmt.Errorf("scale revision %d to zero: %w", p.rev.Number, err)
	}
	return nil
}

// verifyEndpoints waits for the Services' ready endpoints to be revision
// to's pods only.
func (p *promotion) verifyEndpoints(ctx context.Context, services []kube.ID, to int, back time.Time) {
	began := time.Now()
	desc := fmt.Sprintf("The production Services' ready endpoints are revision %d's pods only.", to)
	at, err := bluegreen.EndpointsOf(ctx, p.cl.Client, services, to, verifyTimeout)
	if err != nil {
		p.step(CheckRollbackEndpoint, desc, began, &result.Finding{Title: "The Services' endpoints are not the restored revision's only", Message: err.Error()})
		return
	}
	p.step(CheckRollbackEndpoint, strings.TrimSuffix(desc, ".")+fmt.Sprintf(" (%s after the switch back).", at.Sub(back).Round(time.Millisecond)), began, nil)
}

// ensureRunning scales a revision's Deployments back up (to the replicas
// its manifests ask for) when they were scaled down — to zero after a
// promotion, or to fewer pods by a weighted promotion's replica counts —
// and waits for them: a switch onto too few pods is an outage of its own.
// Fewer pods count only with fewerToo (the revision undone was weighed
// by replica counts). It never scales down (an HPA or a person may have
// scaled up).
func (p *promotion) ensureRunning(ctx context.Context, lp bluegreen.Plan, to history.Revision, fewerToo bool) error {
	var down []kube.Object
	fewer := false
	for _, w := range lp.Workloads {
		n, ok, err := bluegreen.Replicas(ctx, p.cl.Client, w.Object.ID())
		if err != nil {
			return err
		}
		if !ok || n == 0 {
			down = append(down, w.Object)
		} else if fewerToo && n < replicasOf(w.Object) {
			down, fewer = append(down, w.Object), true
		}
	}
	if len(down) == 0 {
		return nil
	}
	if fewer {
		p.note("Revision %d ran fewer pods than its manifests ask for (weights by replica counts): its Deployments are scaled back and waited for before traffic moves.", to.Number)
	} else {
		p.note("Revision %d was scaled down: its Deployments are applied again and waited for before any traffic moves.", to.Number)
	}
	objs := append(append([]kube.Object(nil), lp.Copies...), down...)
	if _, err := p.kc.Apply(ctx, objs, kube.ApplyOptions{Namespace: p.s.namespace, Force: true}); err != nil {
		return err
	}
	return p.kc.Wait(ctx, kubeIDs(down), kube.WaitOptions{Timeout: p.s.timeout})
}

// verifyPods waits for the restored workloads to be ready.
func (p *promotion) verifyPods(ctx context.Context, ids []kube.ID) {
	began := time.Now()
	var f *result.Finding
	if err := p.kc.Wait(ctx, ids, kube.WaitOptions{Timeout: verifyTimeout}); err != nil {
		f = &result.Finding{Title: "The restored revision's pods are not ready", Message: err.Error()}
	}
	p.step(CheckRollbackPods, fmt.Sprintf("The restored revision's %d workload(s) are ready.", len(ids)), began, f)
}

// verifyTraffic waits for sampled production traffic sent after the
// switch back to be answered by the restored revision: with
// promote.version-header, an answer carrying the version production
// answered with before the switch; without it, answers that succeed.
func (p *promotion) verifyTraffic(ctx context.Context, back, firedAt time.Time) {
	if p.win == nil || len(p.win.samplers) == 0 {
		p.skip(CheckRollbackAnswered, "no promote.traffic.endpoints: sampled traffic cannot be checked")
		return
	}
	began := time.Now()
	header := p.s.cfg.VersionHeader
	want := p.win.versionBefore(p.rev.Switched)
	deadline := time.Now().Add(verifyTimeout)
	ok := func(s monitor.Sample) bool {
		if !s.OK() {
			return false
		}
		return header == "" || want == "" || s.Version == want
	}
	for {
		if first, n := p.win.firstAnswered(back, ok); n >= 3 {
			answered := first.Sent.Add(first.Duration)
			desc := fmt.Sprintf("Sampled production traffic sent after the switch back is answered by revision %d", p.live.Number)
			switch {
			case header != "" && want != "":
				desc += fmt.Sprintf(" (%s: %s)", header, want)
			case header != "":
				desc += fmt.Sprintf(" (%s was not seen before the switch, so answers are judged by status only)", header)
			default:
				desc += " (set promote.version-header to prove which revision answers; judged by status only)"
			}
			desc += fmt.Sprintf("; first answer %s after the decision.", answered.Sub(firedAt).Round(time.Millisecond))
			p.traffic = answered.Sub(firedAt)
			p.win.markAt(answered, "traffic-back", fmt.Sprintf("first sampled answer of revision %d after the switch back", p.live.Number))
			p.step(CheckRollbackAnswered, desc, began, nil)
			return
		}
		if time.Now().After(deadline) || sleepUntil(ctx, time.Now().Add(20*time.Millisecond)) != nil {
			break
		}
	}
	p.step(CheckRollbackAnswered, "Sampled production traffic is answered by the restored revision.", began, &result.Finding{
		Title:   "Sampled traffic was not answered by the restored revision",
		Message: fmt.Sprintf("Within %s of the switch back, fewer than 3 sampled requests were answered %s.", verifyTimeout, wantText(header, want)),
	})
}

func wantText(header, want string) string {
	if header == "" || want == "" {
		return "successfully"
	}
	return fmt.Sprintf("with %s: %s", header, want)
}

// verifyChecks runs the checks against production until they pass or
// the verification deadline passed.
func (p *promotion) verifyChecks(ctx context.Context) {
	checks := p.s.cfg.Checks
	if checks.Count() == 0 {
		p.skip(CheckRollbackChecks, "no promote.checks configured")
		return
	}
	began := time.Now()
	r, err := httpcheck.NewResolver(p.cl.Config, p.cl.Client, p.s.namespace)
	if err != nil {
		p.step(CheckRollbackChecks, "The checks pass again.", began, &result.Finding{Title: "The checks could not run", Message: err.Error()})
		return
	}
	loc := health.LocateIn(p.loaded.Objects, p.s.namespace)
	deadline := time.Now().Add(verifyTimeout)
	var last []string
	for attempt := 1; ; attempt++ {
		got, err := health.Once(ctx, r, checks.Service, checks.Business, loc)
		last = last[:0]
		if err != nil {
			last = append(last, err.Error())
		}
		for _, c := range got {
			if c.Failed() {
				last = append(last, c.Findings[0].Title)
			}
		}
		if len(last) == 0 {
			p.step(CheckRollbackChecks, fmt.Sprintf("The %d check(s) pass against production again (attempt %d).", len(got), attempt), began, nil)
			return
		}
		if time.Now().After(deadline) || sleepUntil(ctx, time.Now().Add(p.s.cfg.EvalInterval())) != nil {
			break
		}
	}
	p.step(CheckRollbackChecks, "The checks pass again.", began, &result.Finding{Title: "The checks still fail after the rollback", Message: bulletList(last)})
}

// versionBefore is the version production answered with most often
// before t.
func (w *window) versionBefore(t time.Time) string {
	count := map[string]int{}
	best := ""
	for _, s := range w.samplers {
		for _, smp := range s.Samples(time.Time{}) {
			if smp.Sent.Before(t) && smp.OK() && smp.Version != "" {
				count[smp.Version]++
				if count[smp.Version] > count[best] {
					best = smp.Version
				}
			}
		}
	}
	return best
}

// firstAnswered returns, among samples sent at or after since, the first
// answered one that ok accepts, and how many ok accepts.
func (w *window) firstAnswered(since time.Time, ok func(monitor.Sample) bool) (monitor.Sample, int) {
	var first monitor.Sample
	n := 0
	for _, s := range w.samplers {
		for _, smp := range s.Samples(since) {
			if !ok(smp) {
				continue
			}
			n++
			if first.Sent.IsZero() || smp.Sent.Add(smp.Duration).Before(first.Sent.Add(first.Duration)) {
				first = smp
			}
		}
	}
	return first, n
}

// restoreRolling applies the restored revision's recorded objects again
// (the rolling strategy changed them in place) and verifies.
func (p *promotion) restoreRolling(ctx context.Context, to history.Revision, firedAt time.Time) error {
	objs, err := objectsOf(to)
	if err != nil {
		return err
	}
	began := time.Now()
	applied, err := p.kc.Apply(ctx, objs, kube.ApplyOptions{Namespace: p.s.namespace, Force: true})
	if err != nil {
		p.step(CheckRollbackTraffic, "The restored revision's objects are applied again.", began, &result.Finding{Title: "The restored revision did not apply", Message: findingsText(kube.ApplyFindings(applied), err)})
		return nil
	}
	back := time.Now()
	p.step(CheckRollbackTraffic, fmt.Sprintf("Revision %d's %d object(s) applied again, %s after the decision.", to.Number, len(objs), back.Sub(firedAt).Round(time.Millisecond)), began, nil)
	p.verifyPods(ctx, kube.ReadyIDs(applied))
	p.skip(CheckRollbackEndpoint, "rolling changes pods in place: every endpoint is the restored revision's once its rollout is ready")
	p.verifyTraffic(ctx, back, firedAt)
	p.verifyChecks(ctx)
	return nil
}

// revisionText names a revision number for outputs.
func revisionText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
