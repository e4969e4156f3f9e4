package provingground

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/shipgate/shipgate/internal/kube"
)

func deployment(track, version string) *appsv1.Deployment {
	labels := map[string]string{"app": "web", "track": track}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web-" + track},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
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

// versionVia asks the Service through the API server's service proxy and
// returns the version that answered.
func versionVia(ctx context.Context, g *Ground) (string, error) {
	body, err := g.Client.CoreV1().Services("default").ProxyGet("http", "web", "80", "/hello", nil).DoRaw(ctx)
	if err != nil {
		return "", err
	}
	var r struct {
		Version string `json:"version"`
		Path    string `json:"path"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return "", fmt.Errorf("decode %q: %w", body, err)
	}
	return r.Version, nil
}

// waitVersion sends requests through the proxy until every one of 10 in a
// row is answered by want, within a deadline.
func waitVersion(t *testing.T, g *Ground, want string) {
	t.Helper()
	var last string
	var lastErr error
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		for range 10 {
			last, lastErr = versionVia(ctx, g)
			if lastErr != nil || last != want {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("waiting for service web to answer with version %s through the service proxy: last answer %q, error %v", want, last, lastErr)
	}
}

func TestTrafficFollowsTheSelector(t *testing.T) {
	t.Parallel()
	g := StartT(t)
	ctx := t.Context()
	for _, d := range []*appsv1.Deployment{deployment("blue", "v1"), deployment("green", "v2")} {
		if _, err := g.Client.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web", "track": "blue"},
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if _, err := g.Client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitVersion(t, g, "v1")

	patch := []byte(`{"spec":{"selector":{"app":"web","track":"green"}}}`)
	if _, err := g.Client.CoreV1().Services("default").Patch(ctx, "web", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitVersion(t, g, "v2")
	checkServiceTarget(t, g)

	// Every pod of both versions was served inside the harness's namespace.
	if n := len(g.Pods.Serving()); n != 4 {
		t.Errorf("the pod network serves %d pod ports, want 4", n)
	}
}

// checkServiceTarget sends requests through kube.ServiceTarget's URL with
// fresh and reused connections, and checks Resolve's port handling.
func checkServiceTarget(t *testing.T, g *Ground) {
	t.Helper()
	ctx := t.Context()
	target, err := kube.ServiceTarget{Namespace: "default", Name: "web", Path: "/hello"}.Resolve(ctx, g.Client)
	if err != nil {
		t.Fatal(err)
	}
	if target.Port != "80" {
		t.Errorf("Resolve() port = %q, want the first port, 80", target.Port)
	}
	for _, fresh := range []bool{true, false} {
		rt, err := kube.Transport(g.Cluster.Config, fresh)
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{Transport: rt, Timeout: 5 * time.Second}
		for range 3 {
			resp, err := client.Get(target.URL(g.Cluster.Config.Host))
			if err != nil {
				t.Fatalf("fresh=%v: %v", fresh, err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("X-Version") != "v2" {
				t.Errorf("fresh=%v: status %d, version %q; want 200 from v2", fresh, resp.StatusCode, resp.Header.Get("X-Version"))
			}
		}
	}
	_, err = kube.ServiceTarget{Namespace: "default", Name: "web", Port: "https"}.Resolve(ctx, g.Client)
	if err == nil || !strings.Contains(err.Error(), `service default/web has no port "https"; its ports are 80`) {
		t.Errorf("Resolve(unknown port) error = %v", err)
	}
	_, err = kube.ServiceTarget{Namespace: "default", Name: "nope"}.Resolve(ctx, g.Client)
	if err == nil || !strings.Contains(err.Error(), "service default/nope: ") {
		t.Errorf("Resolve(missing service) error = %v", err)
	}
}
