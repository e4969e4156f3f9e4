package main_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/podnet"
)

// replicasConfig promotes by weights without a route: the manifests hold
// no HTTPRoute, so the weights are the two revisions' pod counts behind
// Service web, and the split is measured through the API server's
// service proxy, which picks a ready endpoint at random per request.
const replicasConfig = `promote:
  app: shop
  strategy: weighted
  watch: %s
  interval: 100ms
  scale-down-delay: 0s
  lock-duration: 3s
  version-header: X-Version
  weighted:
    steps: [25, 50, 100]
    step-watch: %s
    gateway-timeout: 20s
    split: {service: web, path: /, requests: 200}
  checks:
    service: [{service: web, path: /, requests: 2}]
  traffic:
    endpoints: [{name: web, service: web, path: /}]
    rate: 20
    timeout: 3s
  rollback:
    consecutive-failures: 1000
    thresholds: {window: 500ms, p95: 3s, error-rate: %s}
`

// promoteLoad is promote.load: 40 requests a second to Service web
// through the API server's service proxy during every step and the
// window.
const promoteLoad = `  load:
    target: {service: web, port: http}
    rate: 40
    paths: [{path: /, weight: 1}]
    limits: {p99: 2s}
`

// fourReplicas runs the app with four pods, so 25 % is one pod of four.
func fourReplicas(s string) string { return strings.Replace(s, "replicas: 2", "replicas: 4", 1) }

// newReplicasApp is a production namespace promoted by replica counts.
func newReplicasApp(t *testing.T, ns, watchFor, stepWatch, errorRate string) *promoteApp {
	t.Helper()
	g, srv, kubeconfig := existingCluster(t)
	a := newPromoteApp(t, g, srv, kubeconfig, ns, watchFor, 1000)
	a.cfg = fmt.Sprintf(replicasConfig, watchFor, stepWatch, errorRate)
	a.web = fourReplicas(a.web)
	return a
}

// whenShared calls fn once the production Service selects the pods of
// every revision (its selector has no revision label), within two
// minutes.
func (a *promoteApp) whenShared(ctx context.Context, fn func()) {
	a.whenService(ctx, "select every revision", func(sel map[string]string) bool { return len(sel) > 0 && sel[bluegreen.LabelRevision] == "" }, fn)
}

// readyWhenBack runs before (e.g. a watcher that turns the new revision
// bad) then waits for the production Service to select revision rev again
// after it selected another, and counts the pods of revision rev that
// were ready at that moment; the function returned waits for the watchers
// (call it after the promotion) and gives that count, -1 when it was
// never seen.
func (a *promoteApp) readyWhenBack(before func(context.Context), rev int) func() int32 {
	ctx, cancel := context.WithCancel(a.t.Context())
	var wg sync.WaitGroup
	ready := int32(-1)
	wg.Go(func() { before(ctx) })
	wg.Go(func() {
		a.whenShared(ctx, func() {}) // traffic left revision rev
		a.whenSwitched(ctx, rev, func() {
			pods, err := a.g.Client.CoreV1().Pods(a.ns).List(context.Background(), metav1.ListOptions{LabelSelector: fmt.Sprintf("%s=%d", bluegreen.LabelRevision, rev)})
			if err != nil {
				return
			}
			ready = 0
			for _, p := range pods.Items {
				for _, c := range p.Status.Conditions {
					if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil {
						ready++
					}
				}
			}
		})
	})
	return func() int32 { cancel(); wg.Wait(); return ready }
}

// wantRolledBack checks revision bad was rolled back to good: the history
// says so, the production Service selects good, whose Deployment runs the
// four pods its manifests ask for, and bad runs none.
func (a *promoteApp) wantRolledBack(bad, good int) {
	a.t.Helper()
	if got := a.revisions(); got[bad] != history.RolledBack || got[good] != history.Good {
		a.t.Errorf("history %v, want %d rolled back and %d good", got, bad, good)
	}
	if got := a.selected(); got != good {
		a.t.Errorf("after the rollback the production Service selects revision %d, want %d", got, good)
	}
	if got := a.replicas(fmt.Sprintf("web-r%d", good)); got != 4 {
		a.t.Errorf("web-r%d has %d replicas after the rollback, want the 4 its manifests ask for", good, got)
	}
	if got := a.replicas(fmt.Sprintf("web-r%d", bad)); got != 0 {
		a.t.Errorf("web-r%d has %d replicas after the rollback, want 0", bad, got)
	}
}

// TestPromoteWeightedByReplicas promotes with weights but no Gateway: the
// replica counts set the split behind the one Service, measured like a
// route's, on the real control plane with its pod network.
func TestPromoteWeightedByReplicas(t *testing.T) {
	t.Parallel()

	t.Run("a good promotion through every step, the split per pod", func(t *testing.T) {
		t.Parallel()
		a := newReplicasApp(t, "rprod-good", "1s", "300ms", "30%")
		s := a.promote("v1")
		wantCode(t, s, 0)
		if !strings.Contains(s.summary, "First promotion: there is no live revision to weigh against") {
			t.Errorf("the first promotion's summary does not say it switched in one pass:\n%s", s.summary)
		}
		s = a.promote("v2")
		wantCode(t, s, 0)
		checkCases(t, readJUnit(t, s), []string{"promote/manifests", "promote/deploy", "promote/baseline", "promote/step-25", "promote/step-50", "promote/step-100",
			"promote/switch", "promote/watch", "promote/scale-down"}, nil, true)
		for _, want := range []string{
			"the split is per pod, not per request",
			"At 25%: pods web 1 new : 3 old, so the new revision has 25.0% of Service web's pods",
			"At 50%: pods web 2 new : 2 old, so the new revision has 50.0% of Service web's pods",
			"At 100%: the production Services select revision 2 alone (web 4); revision 1 keeps the pods of the step before (web 2) until the window passes; 200 v2 of 200 answered",
		} {
			if !strings.Contains(s.summary, want) {
				t.Errorf("the summary does not say %q:\n%s", want, s.summary)
			}
		}
		// The measured counts are the app's own answers, not the weights.
		m := regexp.MustCompile(`At 25%: pods [^;]+; (\d+) v1, (\d+) v2 of 200 answered`).FindStringSubmatch(s.summary)
		if m == nil {
			t.Fatalf("the summary does not count the answers of step 25%%:\n%s", s.summary)
		}
		if v1, v2 := atoi(m[1]), atoi(m[2]); v1+v2 != 200 || v2 == 0 || v1 <= v2 {
			t.Errorf("at 25%% the answers were %d v1 and %d v2: want 200 in all, most of them v1", v1, v2)
		}
		if got := a.selected(); got != 2 {
			t.Errorf("the production Service selects revision %d, want 2", got)
		}
		if got, want := a.replicas("web-r2"), int32(4); got != want {
			t.Errorf("web-r2 has %d replicas, want %d", got, want)
		}
		if got := a.replicas("web-r1"); got != 0 {
			t.Errorf("web-r1 has %d replicas after the promotion, want 0", got)
		}
		if got := a.revisions(); got[1] != history.Good || got[2] != history.Good {
			t.Errorf("history %v, want 1 and 2 good", got)
		}
	})

	t.Run("a canary that turns bad at 25% is rolled back and the old revision filled up", func(t *testing.T) {
		t.Parallel()
		a := newReplicasApp(t, "rprod-canary", "30s", "30s", "10%")
		wantCode(t, a.live("v1"), 0)
		ready := a.readyWhenBack(func(ctx context.Context) {
			a.whenShared(ctx, func() { a.turnBad(2, podnet.Behavior{Version: "v2", FailRate: 1}) })
		}, 1)
		s := a.promote("v2")
		wantCode(t, s, 1)
		if got := ready(); got != 4 {
			t.Errorf("when the Service selected revision 1 again, web-r1 had %d ready pods, want all 4 back before traffic moved", got)
		}
		checkCases(t, readJUnit(t, s), []string{"promote/step-25", "rule/threshold/error-rate", "rollback/traffic", "rollback/pods-ready", "rollback/endpoints", "rollback/traffic-answered"},
			map[string]string{"rule/threshold/error-rate": "fired"}, true)
		if !regexp.MustCompile(`At 25%, \d+ of \d+ sampled production requests failed before the rule fired: \d+ answered by X-Version: v2`).MatchString(s.summary) {
			t.Errorf("the summary does not count the canary's failed requests:\n%s", s.summary)
		}
		a.wantRolledBack(2, 1)
	})

	t.Run("a revision that turns bad in the window after 100% is rolled back onto a revision scaled back first", func(t *testing.T) {
		t.Parallel()
		a := newReplicasApp(t, "rprod-window", "30s", "300ms", "10%")
		wantCode(t, a.live("v1"), 0)
		ready := a.readyWhenBack(func(ctx context.Context) {
			a.whenSwitched(ctx, 2, func() { a.turnBad(2, podnet.Behavior{Version: "v2", FailRate: 1}) })
		}, 1)
		s := a.promote("v2")
		wantCode(t, s, 1)
		checkCases(t, readJUnit(t, s), []string{"promote/step-100", "promote/switch", "rule/threshold/error-rate", "rollback/traffic", "rollback/pods-ready", "rollback/endpoints", "rollback/traffic-answered"},
			map[string]string{"rule/threshold/error-rate": "fired"}, true)
		for _, want := range []string{
			"revision 1 keeps the pods of the step before (web 2) until the window passes",
			"Revision 1 ran fewer pods than its manifests ask for (weights by replica counts): its Deployments are scaled back and waited for before traffic moves.",
		} {
			if !strings.Contains(s.summary, want) {
				t.Errorf("the summary does not say %q:\n%s", want, s.summary)
			}
		}
		if got := ready(); got != 4 {
			t.Errorf("when the Service selected revision 1 again, web-r1 had %d ready pods, want all 4 back before traffic moved", got)
		}
		a.wantRolledBack(2, 1)
	})

	t.Run("a load runs through every step and the window, and a step whose load misses its limits rolls back", func(t *testing.T) {
		t.Parallel()
		a := newReplicasApp(t, "rprod-load", "1500ms", "1500ms", "90%")
		a.cfg += promoteLoad
		wantCode(t, a.promote("v1"), 0)
		s := a.promote("v2")
		wantCode(t, s, 0)
		checkCases(t, readJUnit(t, s), []string{
			"[load] step 25% success ratio should be at least 99%", "[load] step 25% p99 latency should be at most 2s",
			"[load] step 50% success ratio should be at least 99%", "[load] watched window success ratio should be at least 99%",
		}, nil, true)
		if !regexp.MustCompile(`During the step 25%: Load on service/rprod-load/web:http/: \d+ requests`).MatchString(s.summary) {
			t.Errorf("the summary does not report the load of step 25%%:\n%s", s.summary)
		}

		// Revision 3 fails a third of its answers: the rules allow it (90%),
		// the load's 99% does not.
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		wg.Go(func() { a.whenShared(ctx, func() { a.turnBad(3, podnet.Behavior{Version: "v3", FailRate: 0.34}) }) })
		s = a.promote("v3")
		wantCode(t, s, 1)
		checkCases(t, readJUnit(t, s), []string{"[load] step 25% success ratio should be at least 99%", "rollback/traffic", "rollback/pods-ready"},
			map[string]string{"[load] step 25% success ratio should be at least 99%": "status 500"}, false)
		if !strings.Contains(s.log, "at step 1 of 3 (25%): the load during the step 25% missed its limits") {
			t.Errorf("the log does not say the load rolled back step 25%%:\n%s", s.log)
		}
		a.wantRolledBack(3, 2)
	})

	t.Run("manifests that replica counts cannot weigh are refused before any change", func(t *testing.T) {
		t.Parallel()
		a := newReplicasApp(t, "rprod-refused", "1s", "300ms", "30%")
		hpa := func(s string) string {
			return s + "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 4\n"
		}
		s := a.promote("v1", hpa)
		wantCode(t, s, 2)
		if !strings.Contains(s.log, "weights by replica counts set the Deployments' replicas at every step, which an HPA would undo") {
			t.Errorf("log:\n%s", s.log)
		}
		a.cfg = strings.Replace(a.cfg, "split: {service: web,", "split: {service: checkout,", 1)
		s = a.promote("v1")
		wantCode(t, s, 2)
		if !strings.Contains(s.log, `promote.weighted.split.service "checkout": not a Service of the manifests in namespace rprod-refused (they have web)`) {
			t.Errorf("log:\n%s", s.log)
		}
		if _, err := a.g.Client.AppsV1().Deployments(a.ns).Get(t.Context(), "web-r1", metav1.GetOptions{}); err == nil {
			t.Errorf("web-r1 was made although the manifests were refused")
		}
	})
}
