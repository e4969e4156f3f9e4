package health

import (
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/provingground"
	"github.com/shipgate/shipgate/internal/result"
)

// deploy creates namespace ns with a Deployment web (one pod, containerPort
// 8080, the given env) and a Service web (port 80 to 8080), and waits until
// the Service answers through the service proxy with wantStatus.
func deploy(t *testing.T, g *provingground.Ground, r *httpcheck.Resolver, ns string, wantStatus int, env ...corev1.EnvVar) {
	t.Helper()
	ctx := t.Context()
	if _, err := g.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "web", Image: "web:v1", Env: env,
					Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				}}},
			},
		},
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}
	if _, err := g.Client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Before the pod is Ready and served the proxy answers 503 from the
	// API server, without the app's version.
	out := r.Retry(ctx, config.HTTPCheck{
		Endpoint: config.Endpoint{Service: ns + "/web"},
		Expect:   config.Expect{Status: wantStatus, BodyContains: `"version":"v1"`},
		Deadline: 30 * time.Second,
	})
	if !out.Passed() {
		t.Fatalf("service %s/web never answered %d from v1 (%s): %q\n%s", ns, wantStatus, out.Summary(), out.Problems, out.Last.Evidence())
	}
}

// TestTiersOnAProvingGround runs both tiers against apps that are healthy,
// slow and failing, served by a real control plane's service proxy.
func TestTiersOnAProvingGround(t *testing.T) {
	t.Parallel()
	g := provingground.StartT(t)
	r, err := httpcheck.NewResolver(g.Cluster.Config, g.Client, "default")
	if err != nil {
		t.Fatal(err)
	}
	loc := func(ns, name string) kube.Source { return kube.Source{Path: "deploy/" + ns + ".yaml", Line: 7} }
	version := corev1.EnvVar{Name: "VERSION", Value: "v1"}

	t.Run("healthy", func(t *testing.T) {
		t.Parallel()
		deploy(t, g, r, "healthy", 200, version)
		checks, err := Service(t.Context(), r, []config.ServiceCheck{{Name: "web", Endpoint: config.Endpoint{Service: "healthy/web"}}}, loc)
		c := one(t, checks, err, "service/web")
		if c.Failed() || !regexp.MustCompile(`measured 20 requests: p50 \S+, p95 \S+, p99 \S+, max \S+; 0 errors \(0%\)$`).MatchString(c.Description) {
			t.Errorf("healthy app: findings %+v, description %q; want a pass with the measured p95", c.Findings, c.Description)
		}

		v1, v2 := "v1", "v2"
		checks, err = Business(t.Context(), r, config.Business{JSON: []config.HTTPCheck{
			{Name: "is-v1", Endpoint: config.Endpoint{Service: "healthy/web", Path: "/version"}, Expect: config.Expect{JSON: []config.JSONCondition{{Path: ".version", Equals: &v1}}}},
			{Name: "is-v2", Endpoint: config.Endpoint{Service: "healthy/web", Path: "/version"}, Expect: config.Expect{JSON: []config.JSONCondition{{Path: ".version", Equals: &v2}}}, Deadline: 500 * time.Millisecond},
		}}, loc)
		if err != nil || len(checks) != 2 {
			t.Fatalf("Business() = %d checks, %v; want 2", len(checks), err)
		}
		if checks[0].Name != "business/json/is-v1" || checks[0].Failed() {
			t.Errorf("check %s (json .version equals v1 against v1): findings %+v; want a pass", checks[0].Name, checks[0].Findings)
		}
		f := failed(t, checks[1], "business/json/is-v2")
		if f.Title != `is-v2: json .version = "v1", want "v2"` || !strings.Contains(f.Message, "GET service/healthy/web:80/version: 200 OK in ") {
			t.Errorf("json .version equals v2 against v1: title %q, message %q", f.Title, f.Message)
		}
	})

	t.Run("slow", func(t *testing.T) {
		t.Parallel()
		deploy(t, g, r, "slow", 200, version, corev1.EnvVar{Name: "LATENCY", Value: "700ms"})
		checks, err := Service(t.Context(), r, []config.ServiceCheck{{Name: "web", Endpoint: config.Endpoint{Service: "slow/web"}, Requests: 4}}, loc)
		f := failed(t, one(t, checks, err, "service/web"), "service/web")
		m := regexp.MustCompile(`^web: p95 (\S+) over 500ms$`).FindStringSubmatch(f.Title)
		if m == nil {
			t.Fatalf("slow app: title %q; want the p95 over 500ms alone", f.Title)
		}
		if p95, err := time.ParseDuration(m[1]); err != nil || p95 < 700*time.Millisecond || !strings.Contains(f.Message, "p95 "+m[1]) {
			t.Errorf("slow app: p95 %s (%v), message %q; want the measured p95 of at least 700ms in the message", m[1], err, f.Message)
		}
	})

	t.Run("failing", func(t *testing.T) {
		t.Parallel()
		deploy(t, g, r, "failing", 500, version, corev1.EnvVar{Name: "FAIL_RATE", Value: "1"})
		checks, err := Service(t.Context(), r, []config.ServiceCheck{{Endpoint: config.Endpoint{Service: "web"}}}, func(ns, name string) kube.Source { return loc("failing", name) })
		f := failed(t, one(t, checks, err, "service/service/web/"), "service/service/web/")
		// The Service is looked up in the resolver's namespace, default: it is not there.
		if !strings.Contains(f.Title, "cannot reach service/default/web/") {
			t.Errorf("a Service name without namespace: title %q; want it looked up in default", f.Title)
		}
		checks, err = Service(t.Context(), r, []config.ServiceCheck{{Name: "web", Endpoint: config.Endpoint{Service: "failing/web"}}}, loc)
		f = failed(t, one(t, checks, err, "service/web"), "service/web")
		if f.Title != "web: error rate 100% over 1%" || !strings.Contains(f.Message, "20 errors (100%)") ||
			!strings.Contains(f.Message, "- status 500 Internal Server Error, want 200\n  GET service/failing/web:80/: 500 Internal Server Error in ") ||
			!strings.Contains(f.Message, `"error":"injected failure (FAIL_RATE=1)"`) {
			t.Errorf("failing app: title %q, message %q", f.Title, f.Message)
		}
		if f.Location() != "deploy/failing.yaml:7" || f.Object != "Service/failing/web" {
			t.Errorf("failing app: finding at %q on %q; want deploy/failing.yaml:7 on Service/failing/web", f.Location(), f.Object)
		}
	})
}

// one returns the only check, which must have the given name.
func one(t *testing.T, checks []result.Check, err error, name string) result.Check {
	t.Helper()
	if err != nil || len(checks) != 1 || checks[0].Name != name {
		t.Fatalf("got %d checks (%+v), error %v; want one named %s", len(checks), checks, err, name)
	}
	return checks[0]
}

// failed returns the only finding of a check, which must be a failure of it.
func failed(t *testing.T, c result.Check, name string) result.Finding {
	t.Helper()
	if c.Name != name || len(c.Findings) != 1 || c.Findings[0].Level != result.Failure || c.Findings[0].Check != name {
		t.Fatalf("check %s: findings %+v; want one failure of %s", c.Name, c.Findings, name)
	}
	return c.Findings[0]
}
