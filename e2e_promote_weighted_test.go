package main_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/shipgate/shipgate/internal/gateway"
	"github.com/shipgate/shipgate/internal/gateway/gatewaytest"
	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/podnet"
	"github.com/shipgate/shipgate/internal/provingground"
)

// weightedConfig promotes through the route in steps of 10, 50 and 100,
// measures the split through Traefik's entry point, and samples
// production traffic there too.
const weightedConfig = `promote:
  app: shop
  strategy: weighted
  watch: %s
  interval: 100ms
  scale-down-delay: 0s
  lock-duration: 3s
  version-header: X-Version
  weighted:
    steps: [10, 50, 100]
    step-watch: %s
    gateway-timeout: %s
    split: {url: '%s', requests: 200}
  checks:
    service: [{service: web, path: /, requests: 2}]
  traffic:
    endpoints: [{name: web, url: '%s'}]
    rate: 20
    timeout: 3s
  rollback:
    consecutive-failures: 1000
    thresholds: {window: 500ms, p95: 3s}
`

// routeYAML is the app's HTTPRoute: every path to Service web.
const routeYAML = `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs: [%s]
  rules:
    - matches: [{path: {type: PathPrefix, value: /}}]
      backendRefs: [{name: %s, port: 80}]
`

// The README's weighted example is a valid config.
func init() {
	readmeExamples["### Weighted (Gateway API)"] = func(t *testing.T, ex string) { parseExample(t, ex) }
	readmeExamples["#### Weighted without a Gateway: replica counts"] = func(t *testing.T, ex string) { parseExample(t, ex) }
}

// weightedApp is a promoteApp whose traffic enters through Traefik.
type weightedApp struct {
	*promoteApp
	tr *gatewaytest.Traefik
}

// newWeightedApp makes the namespace, starts Traefik for it and writes the
// weighted config; splitPath is where the split is measured.
func newWeightedApp(t *testing.T, g *provingground.Ground, srv *ghemu.Server, kubeconfig, ns, watchFor, stepWatch, gatewayTimeout, splitPath string) *weightedApp {
	t.Helper()
	a := newPromoteApp(t, g, srv, kubeconfig, ns, watchFor, 1000)
	tr := gatewaytest.Start(t, g, ns, "shop")
	split := strings.TrimSuffix(tr.URL, "/") + splitPath
	for _, u := range []string{split, tr.URL} {
		if err := gatewaytest.CheckLocal(u, g.Net.Contains); err != nil {
			t.Fatal(err)
		}
	}
	a.cfg = fmt.Sprintf(weightedConfig, watchFor, stepWatch, gatewayTimeout, split, tr.URL)
	return &weightedApp{promoteApp: a, tr: tr}
}

// withRoute appends the app's HTTPRoute (to backend) to the manifests.
func (w *weightedApp) withRoute(parent, backend string) func(string) string {
	return func(s string) string { return s + fmt.Sprintf(routeYAML, parent, backend) }
}

// route reads the app's route's backends as "name=weight" in order.
func (w *weightedApp) route(name string) []string {
	w.t.Helper()
	u, err := dynamicFor(w.t, w.g).Resource(gateway.HTTPRoutes).Namespace(w.ns).Get(w.t.Context(), name, metav1.GetOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	return backendsOf(u)
}

func backendsOf(u *unstructured.Unstructured) []string {
	var out []string
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
	for _, r := range rules {
		refs, _, _ := unstructured.NestedSlice(r.(map[string]any), "backendRefs")
		for _, b := range refs {
			m := b.(map[string]any)
			w, ok := m["weight"]
			if !ok {
				w = int64(1)
			}
			out = append(out, fmt.Sprintf("%v=%v", m["name"], w))
		}
	}
	return out
}

func dynamicFor(t testing.TB, g *provingground.Ground) dynamic.Interface {
	t.Helper()
	d, err := dynamic.NewForConfig(g.Cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// whenWeighted calls fn once the route sends pct% to backend.
func (w *weightedApp) whenWeighted(ctx context.Context, backend string, pct int, fn func()) {
	watcher, err := dynamicFor(w.t, w.g).Resource(gateway.HTTPRoutes).Namespace(w.ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=web"})
	if err != nil {
		w.t.Error(err)
		return
	}
	defer watcher.Stop()
	want := fmt.Sprintf("%s=%d", backend, pct)
	for ev := range watcher.ResultChan() {
		if u, ok := ev.Object.(*unstructured.Unstructured); ok && ev.Type != watch.Deleted && strings.Contains(strings.Join(backendsOf(u), " "), want) {
			fn()
			return
		}
	}
}

// versions sends n requests through Traefik and counts answers by
// X-Version.
func (w *weightedApp) versions(n int) map[string]int {
	w.t.Helper()
	p := &gateway.Probe{URL: w.tr.URL, Header: "X-Version"}
	m, err := p.Follow(w.t.Context(), n, gateway.Want{}, 20*time.Second)
	if err != nil {
		w.t.Fatalf("traffic through Traefik: %v", err)
	}
	return m.Counts.ByVersion
}

// TestPromoteWeighted promotes through a real Gateway API implementation:
// Traefik, run on loopback against the control plane, routing to the
// pods on the pod network by the HTTPRoute's weights.
func TestPromoteWeighted(t *testing.T) {
	t.Parallel()
	g, srv, kubeconfig := existingCluster(t)

	t.Run("a good promotion through every step", func(t *testing.T) {
		t.Parallel()
		w := newWeightedApp(t, g, srv, kubeconfig, "wprod-good", "1s", "300ms", "20s", "/")
		s := w.promote("v1", w.withRoute(w.tr.ParentRef(), "web"))
		wantCode(t, s, 0)
		if got := strings.Join(w.route("web"), " "); got != "web-r1=100" {
			t.Errorf("after the first promotion the route's backends are %q, want web-r1=100", got)
		}
		s = w.promote("v2", w.withRoute(w.tr.ParentRef(), "web"))
		wantCode(t, s, 0)
		checkCases(t, readJUnit(t, s), []string{"promote/deploy", "promote/route", "promote/step-10", "promote/step-50", "promote/step-100",
			"promote/switch", "promote/watch", "promote/scale-down", "rule/threshold/error-rate"}, nil, true)
		for _, pct := range []string{"10", "50", "100"} {
			if !regexp.MustCompile(`At ` + pct + `%: \d+ v\d`).MatchString(s.summary) {
				t.Errorf("the summary does not count the answers of step %s%%:\n%s", pct, s.summary)
			}
		}
		if got := strings.Join(w.route("web"), " "); got != "web-r2=100" {
			t.Errorf("the route's backends are %q, want web-r2=100", got)
		}
		if got := w.versions(100); got["v2"] != 100 {
			t.Errorf("answers through Traefik after the promotion: %v, want 100 v2", got)
		}
		if got := w.revisions(); got[1] != history.Good || got[2] != history.Good {
			t.Errorf("history %v, want 1 and 2 good", got)
		}
		if got := w.replicas("web-r1"); got != 0 {
			t.Errorf("web-r1 has %d replicas after the promotion, want 0", got)
		}
		if got := w.selected(); got != 2 {
			t.Errorf("the production Service selects revision %d, want 2", got)
		}
	})

	t.Run("a canary that turns bad at 10% is rolled back, its failed requests counted", func(t *testing.T) {
		t.Parallel()
		w := newWeightedApp(t, g, srv, kubeconfig, "wprod-canary", "30s", "30s", "20s", "/")
		wantCode(t, w.promote("v1", w.withRoute(w.tr.ParentRef(), "web")), 0)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go w.whenWeighted(ctx, "web-r2", 10, func() { w.turnBad(2, podnet.Behavior{Version: "v2", FailRate: 1}) })
		s := w.promote("v2", w.withRoute(w.tr.ParentRef(), "web"))
		wantCode(t, s, 1)
		checkCases(t, readJUnit(t, s), []string{"promote/step-10", "rule/threshold/error-rate", "rollback/traffic", "rollback/split", "rollback/pods-ready", "rollback/endpoints", "rollback/traffic-answered"},
			map[string]string{"rule/threshold/error-rate": "fired"}, true)
		m := regexp.MustCompile(`At 10%, (\d+) of (\d+) sampled production requests failed before the rule fired: (\d+) answered by X-Version: v2 \(which answered (\d+)\)`).FindStringSubmatch(s.summary)
		if m == nil {
			t.Fatalf("the summary does not count the canary's failed requests:\n%s", s.summary)
		}
		failed, total, canary, canaryAll := atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4])
		if failed == 0 || canary != failed || canary > canaryAll || canaryAll >= total {
			t.Errorf("failed %d of %d, the canary's %d of its %d: want every failure the canary's and the canary a minority", failed, total, canary, canaryAll)
		}
		if got := strings.Join(w.route("web"), " "); got != "web-r1=100" {
			t.Errorf("after the rollback the route's backends are %q, want web-r1=100", got)
		}
		if got := w.versions(100); got["v1"] != 100 {
			t.Errorf("answers through Traefik after the rollback: %v, want 100 v1", got)
		}
		if got := w.revisions(); got[2] != history.RolledBack || got[1] != history.Good {
			t.Errorf("history %v, want 2 rolled back and 1 good", got)
		}
		if got := w.replicas("web-r2"); got != 0 {
			t.Errorf("web-r2 has %d replicas after the rollback, want 0", got)
		}
	})

	t.Run("a route the gateway does not accept fails with the gateway's reason", func(t *testing.T) {
		t.Parallel()
		w := newWeightedApp(t, g, srv, kubeconfig, "wprod-refused", "1s", "300ms", "20s", "/")
		wantCode(t, w.promote("v1", w.withRoute(w.tr.ParentRef(), "web")), 0)
		s := w.promote("v2", w.withRoute("{name: shop, sectionName: nope}", "web"))
		wantCode(t, s, 1)
		checkCases(t, readJUnit(t, s), []string{"promote/route"}, map[string]string{"promote/route": "Accepted is False, reason NoMatchingParent"}, false)
		if got := strings.Join(w.route("web"), " "); got != "web-r1=100" {
			t.Errorf("after the refusal the route's backends are %q, want web-r1=100", got)
		}
		if got := w.versions(50); got["v1"] != 50 {
			t.Errorf("answers through Traefik after the refusal: %v, want 50 v1", got)
		}
		if got := w.revisions(); got[2] != history.Failed {
			t.Errorf("history %v, want 2 failed", got)
		}
		if got := w.replicas("web-r2"); got != 0 {
			t.Errorf("web-r2 has %d replicas, want 0", got)
		}
	})

	t.Run("a route to a Service the manifests do not define is refused before any change", func(t *testing.T) {
		t.Parallel()
		w := newWeightedApp(t, g, srv, kubeconfig, "wprod-unknown", "1s", "300ms", "20s", "/")
		s := w.promote("v1", w.withRoute(w.tr.ParentRef(), "checkout"))
		wantCode(t, s, 2)
		if !strings.Contains(s.log, "names Service checkout, which the manifests do not define") {
			t.Errorf("log:\n%s", s.log)
		}
		if _, err := g.Client.AppsV1().Deployments(w.ns).Get(t.Context(), "web-r1", metav1.GetOptions{}); err == nil {
			t.Errorf("web-r1 was made although the manifests were refused")
		}
	})

	t.Run("a split that does not follow the weights is caught by the measurement", func(t *testing.T) {
		t.Parallel()
		w := newWeightedApp(t, g, srv, kubeconfig, "wprod-stolen", "1s", "300ms", "3s", "/checkout")
		wantCode(t, w.promote("v1", w.withRoute(w.tr.ParentRef(), "web")), 0)
		// A second route takes /checkout to revision 1 whatever the weights.
		thief := fmt.Sprintf(`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"thief","namespace":%q},
			"spec":{"parentRefs":[{"name":"shop"}],"rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/checkout"}}],"backendRefs":[{"name":"web-r1","port":80}]}]}}`, w.ns)
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON([]byte(thief)); err != nil {
			t.Fatal(err)
		}
		if _, err := dynamicFor(t, g).Resource(gateway.HTTPRoutes).Namespace(w.ns).Create(t.Context(), u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		s := w.promote("v2", w.withRoute(w.tr.ParentRef(), "web"))
		wantCode(t, s, 1)
		checkCases(t, readJUnit(t, s), []string{"promote/step-10", "rollback/traffic", "rollback/split"},
			map[string]string{"promote/step-10": "did not follow 10%"}, false)
		if got := w.revisions(); got[2] != history.RolledBack {
			t.Errorf("history %v, want 2 rolled back", got)
		}
		if got := strings.Join(w.route("web"), " "); got != "web-r1=100" {
			t.Errorf("after the rollback the route's backends are %q, want web-r1=100", got)
		}
	})
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// benchApp runs two revisions of the app (Services web-a answering v1 and
// web-b answering v2) behind one route served by Traefik.
const benchApp = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web-%[1]s}
spec:
  replicas: 2
  selector: {matchLabels: {app: web, rev: %[1]s}}
  template:
    metadata: {labels: {app: web, rev: %[1]s}}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.4.0
          ports: [{name: http, containerPort: 8080}]
          env: [{name: VERSION, value: %[2]s}]
---
apiVersion: v1
kind: Service
metadata: {name: web-%[1]s}
spec:
  selector: {app: web, rev: %[1]s}
  ports: [{name: http, port: 80, targetPort: http}]
`

// benchRoute sets up the bench's app and returns a function that sets
// the route's weights (v2's percentage) and returns the generation.
func benchRoute(b *testing.B) (tr *gatewaytest.Traefik, set func(pct int) (time.Time, int64)) {
	b.Helper()
	g := provingground.StartT(b)
	ns := "bench"
	if _, err := g.Client.CoreV1().Namespaces().Create(b.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	tr = gatewaytest.Start(b, g, ns, "shop")
	kc, err := kube.NewClient(g.Cluster.Config)
	if err != nil {
		b.Fatal(err)
	}
	var objs []kube.Object
	for _, doc := range strings.Split(fmt.Sprintf(benchApp, "a", "v1")+"---\n"+fmt.Sprintf(benchApp, "b", "v2"), "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			b.Fatal(err)
		}
		objs = append(objs, kube.Object{Obj: u, Source: kube.Source{Path: "bench"}})
	}
	applied, err := kc.Apply(b.Context(), objs, kube.ApplyOptions{Namespace: ns, Force: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := kc.Wait(b.Context(), kube.ReadyIDs(applied), kube.WaitOptions{Timeout: time.Minute}); err != nil {
		b.Fatal(err)
	}
	route := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(fmt.Sprintf(strings.TrimPrefix(routeYAML, "---\n"), tr.ParentRef(), "web")), &route.Object); err != nil {
		b.Fatal(err)
	}
	route.SetNamespace(ns)
	set = func(pct int) (time.Time, int64) {
		u, err := gateway.Weighted(route, map[string][]gateway.Backend{"web": {{Service: "web-a", Weight: 100 - pct}, {Service: "web-b", Weight: pct}}})
		if err != nil {
			b.Fatal(err)
		}
		at := time.Now()
		gen, err := gateway.Apply(b.Context(), kc, kube.Object{Obj: u, Source: kube.Source{Path: "bench"}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := gateway.WaitAccepted(b.Context(), kc.Dynamic, ns, "web", gen, 30*time.Second); err != nil {
			b.Fatal(err)
		}
		return at, gen
	}
	if err := gatewaytest.CheckLocal(tr.URL, g.Net.Contains); err != nil {
		b.Fatal(err)
	}
	return tr, set
}

// reportDurations reports the median and p95 of ds in milliseconds.
func reportDurations(b *testing.B, name string, ds []time.Duration) {
	slices.Sort(ds)
	if len(ds) == 0 {
		return
	}
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, name+"-median-ms")
	b.ReportMetric(float64(ds[min(len(ds)-1, len(ds)*95/100)].Microseconds())/1000, name+"-p95-ms")
}

// BenchmarkWeightChange measures a weight change through Traefik: from
// the update of the route to its status accepting the generation, and to
// 100 measured answers in a row within the tolerance of the new split
// (90/10 and 50/50 in turn).
func BenchmarkWeightChange(b *testing.B) {
	tr, set := benchRoute(b)
	probe := &gateway.Probe{URL: tr.URL, Header: "X-Version"}
	var accepted, followed []time.Duration
	b.ResetTimer()
	for i := range b.N {
		pct := []int{10, 50}[i%2]
		at, _ := set(pct)
		accepted = append(accepted, time.Since(at))
		m, err := probe.Follow(b.Context(), 100, gateway.Want{Old: "v1", Percent: float64(pct)}, 30*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		followed = append(followed, m.At.Sub(at))
	}
	b.StopTimer()
	reportDurations(b, "accepted", accepted)
	reportDurations(b, "split", followed)
}

// BenchmarkRollbackSplit measures a rollback's weights through Traefik:
// from the route set back to 100/0 (while 10% went to v2) to 50 measured
// answers in a row all v1.
func BenchmarkRollbackSplit(b *testing.B) {
	tr, set := benchRoute(b)
	probe := &gateway.Probe{URL: tr.URL, Header: "X-Version"}
	var back []time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		set(10)
		if _, err := probe.Follow(b.Context(), 100, gateway.Want{Old: "v1", Percent: 10}, 30*time.Second); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		at, _ := set(0)
		m, err := probe.Follow(b.Context(), 50, gateway.Want{New: "v1", Percent: 100}, 30*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		back = append(back, m.At.Sub(at))
	}
	b.StopTimer()
	reportDurations(b, "all-old", back)
}
