package monitor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/utils/ptr"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/localcluster"
	"github.com/shipgate/shipgate/internal/provingground"
	"github.com/shipgate/shipgate/internal/result"
)

const ns = "shop"

// webDeployment is 2 replicas serving VERSION on containerPort 8080.
func webDeployment(version string) *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: rolling("0", "1"),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "web", Image: "web:" + version,
					Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
					Env:   []corev1.EnvVar{{Name: "VERSION", Value: version}},
				}}},
			},
		},
	}
}

func rolling(maxUnavailable, maxSurge string) appsv1.DeploymentStrategy {
	mu, ms := intstr.Parse(maxUnavailable), intstr.Parse(maxSurge)
	return appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &mu, MaxSurge: &ms}}
}

// waitRolledOut watches Deployment web until every replica is updated and
// available and no old one is left.
func waitRolledOut(t *testing.T, g *provingground.Ground) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	lw := cache.NewListWatchFromClient(g.Client.AppsV1().RESTClient(), "deployments", ns, fields.OneTermEqualSelector("metadata.name", "web"))
	var last string
	_, err := watchtools.UntilWithSync(ctx, lw, &appsv1.Deployment{}, nil, func(e watch.Event) (bool, error) {
		d, ok := e.Object.(*appsv1.Deployment)
		if !ok {
			return false, nil
		}
		s := d.Status
		last = fmt.Sprintf("generation %d observed %d, %d replicas, %d updated, %d available", d.Generation, s.ObservedGeneration, s.Replicas, s.UpdatedReplicas, s.AvailableReplicas)
		return s.ObservedGeneration >= d.Generation && s.Replicas == 2 && s.UpdatedReplicas == 2 && s.AvailableReplicas == 2, nil
	})
	if err != nil {
		t.Fatalf("waiting 60s for deployment %s/web to roll out: %v (last: %s)", ns, err, last)
	}
}

// waitAnswers asks the Service through the service proxy until version
// answers 10 times in a row, within 30s.
func waitAnswers(t *testing.T, g *provingground.Ground, version string) {
	t.Helper()
	target, err := kube.ServiceTarget{Namespace: ns, Name: "web", Path: "/hello"}.Resolve(t.Context(), g.Client)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := kube.Transport(g.Cluster.Config, false)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: rt, Timeout: 5 * time.Second}
	var last string
	err = wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		for range 10 {
			resp, err := client.Get(target.URL(g.Cluster.Config.Host))
			if err != nil {
				last = err.Error()
				return false, nil
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
			if resp.StatusCode != 200 || resp.Header.Get("X-Version") != version {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("waiting 30s for service %s/web to answer with %s: %v (last answer %s)", ns, version, err, last)
	}
}

// monitorRollout runs a monitor (disruption of Service web through the
// service proxy, conditions of the namespace and the nodes) around
// change, until the Deployment is rolled out and a settle period passed.
func monitorRollout(t *testing.T, g *provingground.Ground, cfg config.Disruption, change func(*appsv1.Deployment)) ([]Interval, []DisruptionSummary) {
	t.Helper()
	ctx := t.Context()
	ds, err := DisruptionSamplers(ctx, cfg, Cluster{Namespace: ns, Client: g.Client, Config: g.Cluster.Config})
	if err != nil {
		t.Fatal(err)
	}
	samplers := []Sampler{NewConditions(g.Client, ns, true)}
	for _, d := range ds {
		samplers = append(samplers, d)
	}
	m := New(Options{}, samplers...)
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // steady state before the change
	d, err := g.Client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	change(d)
	if _, err := g.Client.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, g)
	time.Sleep(time.Second) // settle
	intervals, err := m.Stop()
	if err != nil {
		t.Fatal(err)
	}
	return intervals, m.Summaries()
}

func setVersion(d *appsv1.Deployment, version string) {
	d.Spec.Template.Spec.Containers[0].Image = "web:" + version
	d.Spec.Template.Spec.Containers[0].Env[0].Value = version
}

func TestRolloutOnProvingGround(t *testing.T) {
	t.Parallel()
	g := provingground.StartT(t)
	ctx := t.Context()
	if _, err := g.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Client.AppsV1().Deployments(ns).Create(ctx, webDeployment("v1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}
	if _, err := g.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, g)
	waitAnswers(t, g, "v1")
	cfg := config.Disruption{Endpoints: []config.DisruptionEndpoint{{Name: "web", Endpoint: config.Endpoint{Service: "web", Path: "/hello"}}}}

	// A surge rollout never leaves the Service without a Ready pod: no
	// sample fails.
	intervals, sums := monitorRollout(t, g, cfg, func(d *appsv1.Deployment) { setVersion(d, "v2") })
	logOutcome(t, "surge", intervals, sums)
	for _, s := range sums {
		if s.Samples < 15 {
			t.Errorf("surge rollout: %s: %d samples, want 15 or more", s.Locator, s.Samples)
		}
	}
	for _, o := range outagesIn(intervals) {
		t.Errorf("surge rollout: disruption %s: %s", o.Locator, o.Message)
	}
	for _, c := range Evaluate(intervals, cfg) {
		if len(c.Findings) > 0 || c.Skipped != "" {
			t.Errorf("surge rollout: check %q: want a pass without findings, got %+v", c.Name, c)
		}
	}
	wantSeen(t, "surge rollout", intervals,
		Interval{Source: SourceDeployment, Locator: "ns/shop deployment/web condition/Progressing", Message: "deployment/web Progressing=True: ReplicaSetUpdated"},
		Interval{Source: SourceDeployment, Locator: "ns/shop deployment/web condition/Progressing", Message: "deployment/web Progressing=True: NewReplicaSetAvailable"},
		Interval{Source: SourceDeployment, Locator: "ns/shop deployment/web condition/Available", Message: "deployment/web Available=True: MinimumReplicasAvailable"},
		Interval{Source: SourceReplicas, Locator: "ns/shop deployment/web", Message: "2 desired, 3 current, 1 updated"},
		Interval{Source: SourcePodReady, Level: Warning, Locator: "ns/shop pod/web-", Message: "not ready"},
	)

	// Taking every pod down at once leaves the Service without any for a
	// while: sampled at 50/s so a short gap cannot slip between samples.
	fast := cfg
	fast.Rate = 50
	intervals, sums = monitorRollout(t, g, fast, func(d *appsv1.Deployment) {
		setVersion(d, "v3")
		d.Spec.Strategy = rolling("100%", "0")
	})
	logOutcome(t, "all at once", intervals, sums)
	checks := Evaluate(intervals, fast)
	for _, c := range checks[:2] {
		if !c.Failed() {
			t.Errorf("all-at-once rollout: check %q passed; want a failure: %+v", c.Name, c)
		}
	}
	for _, s := range sums {
		if s.Disruption <= 0 || s.Failed == 0 {
			t.Errorf("all-at-once rollout: %s: %v disruption from %d failed samples; want some", s.Locator, s.Disruption, s.Failed)
		}
	}
	if c := checkNamed(checks, CheckPodRestarts); c.Failed() || c.Skipped != "" {
		t.Errorf("all-at-once rollout: check %q: %+v", CheckPodRestarts, c)
	}

	troubleOnProvingGround(t, g)
}

// troubleOnProvingGround watches a crash-looping pod and a node going down
// and back.
func troubleOnProvingGround(t *testing.T, g *provingground.Ground) {
	ctx := t.Context()
	m := New(Options{}, NewConditions(g.Client, ns, true))
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	crash := webDeployment("v1")
	crash.Name = "crash"
	crash.Spec.Replicas = ptr.To[int32](1)
	labels := map[string]string{"app": "crash", localcluster.FaultLabel: localcluster.FaultCrashLoop}
	crash.Spec.Selector.MatchLabels, crash.Spec.Template.Labels = labels, labels
	if _, err := g.Client.AppsV1().Deployments(ns).Create(ctx, crash, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := g.Cluster.SetNodeReady(ctx, localcluster.FirstNode, false); err != nil {
		t.Fatal(err)
	}
	if err := g.Cluster.SetNodeReady(ctx, localcluster.FirstNode, true); err != nil {
		t.Fatal(err)
	}
	waitRecorded(t, m, SourcePodRestart, "ns/shop pod/crash-")
	intervals, err := m.Stop()
	if err != nil {
		t.Fatal(err)
	}
	logOutcome(t, "trouble", intervals, nil)
	wantSeen(t, "trouble", intervals,
		Interval{Source: SourcePodRestart, Level: Error, Locator: "ns/shop pod/crash-", Message: "container web restarted (restart count 1): last exit code 1"},
		Interval{Source: SourceContainer, Level: Warning, Locator: "ns/shop pod/crash-", Message: "waiting: " + localcluster.CrashLoopReason},
		Interval{Source: SourceNode, Level: Error, Locator: "node/" + localcluster.FirstNode + " condition/Ready", Message: "Ready=False: " + localcluster.NodeNotReadyReason},
	)
	checks := Evaluate(intervals, config.Disruption{})
	for _, name := range []string{CheckPodRestarts, CheckNodesReady} {
		if c := checkNamed(checks, name); !c.Failed() {
			t.Errorf("check %q passed; want a failure: %+v", name, c)
		}
	}
}

// waitRecorded waits up to 30s for m to record an interval from source at
// a locator containing locator.
func waitRecorded(t *testing.T, m *Monitor, source, locator string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		for _, iv := range m.Intervals() {
			if iv.Source == source && strings.Contains(iv.Locator, locator) {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("waiting 30s for the monitor to record a %s interval at %q: %v", source, locator, err)
	}
}

// outagesIn returns the disruption outages among intervals.
func outagesIn(intervals []Interval) []Interval {
	var out []Interval
	for _, iv := range intervals {
		if iv.Source == SourceDisruption && iv.Level == Error {
			out = append(out, iv)
		}
	}
	return out
}

// wantSeen fails unless, for every want, an interval has its Source and
// Level (when set), and a Locator and Message containing want's.
func wantSeen(t *testing.T, what string, intervals []Interval, wants ...Interval) {
	t.Helper()
	for _, w := range wants {
		found := false
		for _, iv := range intervals {
			if iv.Source == w.Source && (w.Level == "" || iv.Level == w.Level) &&
				strings.Contains(iv.Locator, w.Locator) && strings.Contains(iv.Message, w.Message) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: no %s interval at %q with %q", what, w.Source, w.Locator, w.Message)
		}
	}
}

func checkNamed(checks []result.Check, name string) result.Check {
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	return result.Check{}
}

func logOutcome(t *testing.T, what string, intervals []Interval, sums []DisruptionSummary) {
	t.Helper()
	for _, s := range sums {
		t.Logf("%s: %s: %d samples at %v/s over %v, %d failed, %d outages, disruption %v", what, s.Locator, s.Samples, s.Rate, s.Window.Round(time.Millisecond), s.Failed, s.Outages, s.Disruption)
	}
	if testing.Verbose() {
		for _, iv := range intervals {
			t.Logf("%s: %s +%v %s %s %s: %s", what, clock(iv.From), iv.Duration().Round(time.Millisecond), iv.Level, iv.Source, iv.Locator, iv.Message)
		}
	}
}
