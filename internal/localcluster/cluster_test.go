package localcluster_test

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipgate/shipgate/internal/localcluster"
)

func TestDeploymentBecomesAvailable(t *testing.T) {
	t.Parallel()
	began := time.Now()
	c := localcluster.StartT(t)
	t.Logf("start-up: control plane and one Ready node in %s", time.Since(began).Round(time.Millisecond))

	if fi, err := os.Stat(c.Kubeconfig); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig %s: mode %v, err %v; want 0600", c.Kubeconfig, fi.Mode(), err)
	}
	if c.Version != localcluster.DefaultVersion {
		t.Errorf("Version = %s, want %s", c.Version, localcluster.DefaultVersion)
	}

	cs := clientset(t, c)
	labels := map[string]string{"app": "web"}
	replicas := int32(2)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "registry.invalid/web:1"}}},
			},
		},
	}
	created := time.Now()
	if _, err := cs.AppsV1().Deployments("default").Create(t.Context(), dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	watchUntil(t, cs.AppsV1().RESTClient(), "deployments", "default", "web", "deployment web to be Available with 2 ready replicas",
		func(d *appsv1.Deployment) (bool, string) {
			available := false
			for _, c := range d.Status.Conditions {
				if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
					available = true
				}
			}
			return available && d.Status.ReadyReplicas == 2 && d.Status.AvailableReplicas == 2,
				fmt.Sprintf("available=%t ready=%d/%d", available, d.Status.ReadyReplicas, replicas)
		})
	t.Logf("deployment Available %s after create", time.Since(created).Round(time.Millisecond))

	pods, err := cs.CoreV1().Pods("default").List(t.Context(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 2 {
		t.Fatalf("got %d pods, want 2", len(pods.Items))
	}
	cidr := netip.MustParsePrefix(localcluster.DefaultPodCIDR)
	for _, p := range pods.Items {
		ready, _ := podCondition(&p, corev1.PodReady)
		if p.Status.Phase != corev1.PodRunning || ready != corev1.ConditionTrue || p.Spec.NodeName != localcluster.FirstNode {
			t.Errorf("pod %s: %s on %q; want Running, Ready on %s", p.Name, podState(&p), p.Spec.NodeName, localcluster.FirstNode)
		}
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !cidr.Contains(ip) {
			t.Errorf("pod %s: IP %q not in the pod CIDR %s", p.Name, p.Status.PodIP, cidr)
		}
	}

	// No kubelet serves logs: the apiserver says so at once, dialling
	// nothing.
	body, err := cs.CoreV1().Pods("default").GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{}).DoRaw(t.Context())
	if err == nil || !strings.Contains(string(body), "no preferred addresses found") {
		t.Errorf("pod logs: got %v, %s; want the apiserver's no preferred addresses found", err, body)
	}
}
