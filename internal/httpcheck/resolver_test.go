package httpcheck

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/provingground"
)

// TestServiceThroughTheProxy sends checks to a Service of a real control
// plane through the API server's service proxy.
func TestServiceThroughTheProxy(t *testing.T) {
	t.Parallel()
	g := provingground.StartT(t)
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}
	if _, err := g.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
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
					Name: "web", Image: "web:v1",
					Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
					Env:   []corev1.EnvVar{{Name: "VERSION", Value: "v1"}},
				}}},
			},
		},
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)},
			{Name: "admin", Port: 9090, TargetPort: intstr.FromInt32(8080)},
		}},
	}
	if _, err := g.Client.AppsV1().Deployments("shop").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Client.CoreV1().Services("shop").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// No client given: the resolver makes one from the config.
	r, err := NewResolver(g.Cluster.Config, nil, "shop")
	if err != nil {
		t.Fatal(err)
	}

	// The pod takes a moment to be scheduled, Ready and served: Retry waits.
	check := config.HTTPCheck{
		Endpoint: config.Endpoint{Service: "web", Path: "/hello"},
		Expect:   config.Expect{JSON: []config.JSONCondition{{Path: ".version", Equals: ptr("v1")}, {Path: ".path", Equals: ptr("/hello")}}},
		Deadline: 30 * time.Second,
	}
	out := r.Retry(ctx, check)
	if !out.Passed() {
		t.Fatalf("service web never answered as v1 (%s): %q\n%s", out.Summary(), out.Problems, out.Last.Evidence())
	}
	host := g.Cluster.Config.Host
	if out.Last.Target != "service/shop/web:http/hello" || out.Last.Object != "Service/shop/web" || strings.Contains(out.Last.Evidence(), host) {
		t.Errorf("target %q, object %q, evidence %q; want the service target, not the API server %s", out.Last.Target, out.Last.Object, out.Last.Evidence(), host)
	}

	// A named port and an explicit namespace reach the same pods.
	s := r.Sample(ctx, config.Endpoint{Service: "shop/web", Port: "admin"}, 5, 5*time.Second, 200)
	if s.Requests != 5 || s.Errors != 0 || s.Target != "service/shop/web:admin/" || s.P95 <= 0 {
		t.Errorf("sample of service shop/web:admin = %+v; want 5 answered requests", s)
	}

	// A wrong port or Service is an observation naming what exists.
	o := r.Do(ctx, config.HTTPCheck{Endpoint: config.Endpoint{Service: "web", Port: "https"}})
	if o.Err == nil || !strings.Contains(o.Err.Error(), `service shop/web has no port "https"; its ports are http, admin`) {
		t.Errorf("Do(port https) error = %v", o.Err)
	}
	o = r.Do(ctx, config.HTTPCheck{Endpoint: config.Endpoint{Service: "api"}})
	if o.Err == nil || !strings.Contains(o.Err.Error(), `resolve service/api/: service shop/api: `) || o.Object != "Service/shop/api" {
		t.Errorf("Do(missing service) error = %v, object %q", o.Err, o.Object)
	}
}
