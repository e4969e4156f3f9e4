package podnet

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

// testPod is a pod as kwok leaves it: Running and Ready with a pod IP, one
// container per entry of ports, each with the env given.
func testPod(ns, name, ip string, env []corev1.EnvVar, ports ...int32) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			PodIP:      ip,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
	for i, p := range ports {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{
			Name:  fmt.Sprintf("c%d", i),
			Env:   env,
			Ports: []corev1.ContainerPort{{ContainerPort: p}},
		})
	}
	return pod
}

func versionEnv(v string) []corev1.EnvVar { return []corev1.EnvVar{{Name: "VERSION", Value: v}} }

// watchedClientset is a fake clientset and a channel closed once the pod
// informer's watch is open: the fake cannot resume a watch from the list's
// resourceVersion, so a pod created between the two would be missed.
func watchedClientset(objs ...runtime.Object) (*fake.Clientset, <-chan struct{}) {
	client := fake.NewClientset(objs...)
	watching := make(chan struct{})
	var once sync.Once
	client.PrependWatchReactor("pods", func(action clienttesting.Action) (bool, watch.Interface, error) {
		w, err := client.Tracker().Watch(action.GetResource(), action.GetNamespace())
		once.Do(func() { close(watching) })
		return true, w, err
	})
	return client, watching
}

// runController runs a Controller on a fake clientset until the test ends,
// then checks Run returned nil. It returns once the pod watch is open.
func runController(t *testing.T, n *Network) (*Controller, kubernetes.Interface) {
	t.Helper()
	return runControllerWith(t, n, ControllerOptions{})
}

// runControllerWith is runController with options; Run must return within
// 10s of the test's end, draining pods or not.
func runControllerWith(t *testing.T, n *Network, opts ControllerOptions) (*Controller, kubernetes.Interface) {
	t.Helper()
	client, watching := watchedClientset()
	opts.Logger, opts.SyncTimeout = testLogger{t}, 10*time.Second
	c := NewController(client, n, opts)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10s of its context's end")
		}
		if got := c.Serving(); len(got) != 0 {
			t.Errorf("Serving after Run returned: %v", got)
		}
	})
	select {
	case <-watching:
	case <-time.After(10 * time.Second):
		t.Fatal("waited 10s for the controller to watch pods")
	}
	return c, client
}

func waitServing(t *testing.T, c *Controller, want map[string]string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("Serving() = %v", want), func() bool {
		return cmp.Equal(want, c.Serving())
	})
}

// nsAddrs lists the /32 pod addresses on the namespace's veth end.
func nsAddrs(t *testing.T, n *Network) string {
	t.Helper()
	out, err := ipOut(t, "ip", "-n", n.Namespace(), "-4", "-o", "addr", "show", "dev", n.nsIf)
	if err != nil {
		t.Fatalf("ip addr show: %v: %s", err, out)
	}
	var ips []string
	for _, f := range strings.Fields(out) {
		if strings.HasSuffix(f, "/32") {
			ips = append(ips, f)
		}
	}
	return strings.Join(ips, " ")
}

func TestControllerLifecycle(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "ctl", 20)
	c, client := runController(t, n)
	pods := client.CoreV1().Pods("shop")
	ctx := t.Context()

	// A Ready pod with two containers gets one server per port.
	pod := testPod("shop", "web-1", "198.18.20.5", versionEnv("v1"), 8080, 9090)
	pod.Spec.Containers[1].Env = versionEnv("sidecar")
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitServing(t, c, map[string]string{"198.18.20.5:8080": "shop/web-1", "198.18.20.5:9090": "shop/web-1"})
	for port, version := range map[int]string{8080: "v1", 9090: "sidecar"} {
		r := mustGet(t, n, fmt.Sprintf("http://198.18.20.5:%d/healthz", port))
		if r.status != 200 || r.version != version || r.body.Pod != "web-1" {
			t.Errorf("GET :%d = %+v, want 200 from web-1 with version %s", port, r, version)
		}
	}
	if got := c.Stats()["198.18.20.5:8080"]; got.Requests != 1 {
		t.Errorf("Stats[:8080] = %+v, want 1 request", got)
	}

	// A new VERSION restarts the servers with it.
	pod.Spec.Containers[0].Env = versionEnv("v2")
	if _, err := pods.Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "version v2 on :8080", func() bool {
		r, err := get(ctx, n, "http://198.18.20.5:8080/")
		return err == nil && r.version == "v2"
	})

	// A new IP moves the servers and the address.
	pod.Status.PodIP = "198.18.20.6"
	if _, err := pods.Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitServing(t, c, map[string]string{"198.18.20.6:8080": "shop/web-1", "198.18.20.6:9090": "shop/web-1"})
	if got := nsAddrs(t, n); got != "198.18.20.6/32" {
		t.Errorf("namespace addresses = %q, want only 198.18.20.6/32", got)
	}

	// Not Ready: nothing served, no address.
	pod.Status.Conditions[0].Status = corev1.ConditionFalse
	if _, err := pods.Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitServing(t, c, map[string]string{})
	if got := nsAddrs(t, n); got != "" {
		t.Errorf("namespace addresses = %q, want none", got)
	}

	// Ready again, then deleted.
	pod.Status.Conditions[0].Status = corev1.ConditionTrue
	if _, err := pods.Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitServing(t, c, map[string]string{"198.18.20.6:8080": "shop/web-1", "198.18.20.6:9090": "shop/web-1"})
	if err := pods.Delete(ctx, "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitServing(t, c, map[string]string{})
	if got := nsAddrs(t, n); got != "" {
		t.Errorf("namespace addresses = %q, want none", got)
	}
}

func TestControllerSkips(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "skip", 21)
	c, client := runController(t, n)
	ctx := t.Context()

	pending := testPod("a", "pending", "198.18.21.7", nil, 80)
	pending.Status.Phase = corev1.PodPending
	udp := testPod("a", "udp", "198.18.21.8", nil, 53)
	udp.Spec.Containers[0].Ports[0].Protocol = corev1.ProtocolUDP
	dup := testPod("a", "dup", "198.18.21.10", nil, 80, 80)
	for _, pod := range []*corev1.Pod{
		pending,
		udp,
		dup,
		testPod("a", "host-network", "192.0.2.2", nil, 80),
		testPod("a", "other-cidr", "198.18.22.5", nil, 80),
		testPod("a", "link-address", "198.18.21.254", nil, 80),
		testPod("a", "no-ip", "", nil, 80),
		testPod("a", "bad-env", "198.18.21.9", []corev1.EnvVar{{Name: "FAIL_RATE", Value: "lots"}}, 80),
		// Served, in another namespace: the informer covers all of them.
		testPod("b", "good", "198.18.21.5", nil, 80),
	} {
		if _, err := client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitServing(t, c, map[string]string{"198.18.21.5:80": "b/good"})
	// The good pod was created last; the others had their turn before it.
	if got := nsAddrs(t, n); got != "198.18.21.5/32" {
		t.Errorf("namespace addresses = %q, want only 198.18.21.5/32", got)
	}
}

func TestControllerIPReuse(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "reuse", 23)
	c, client := runController(t, n)
	ctx := t.Context()
	pods := client.CoreV1().Pods("x")

	// kwok hands a deleted pod's IP to the next pod; the second pod may be
	// seen before the first one's deletion. It is served once the IP is free.
	if _, err := pods.Create(ctx, testPod("x", "old", "198.18.23.5", versionEnv("old"), 80), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitServing(t, c, map[string]string{"198.18.23.5:80": "x/old"})
	if _, err := pods.Create(ctx, testPod("x", "new", "198.18.23.5", versionEnv("new"), 80), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if got := c.Serving()["198.18.23.5:80"]; got != "x/old" {
		t.Errorf("while old holds the IP, Serving has %q", got)
	}
	if err := pods.Delete(ctx, "old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitServing(t, c, map[string]string{"198.18.23.5:80": "x/new"})
	if r := mustGet(t, n, "http://198.18.23.5/"); r.version != "new" {
		t.Errorf("GET answered version %q, want new", r.version)
	}
}

func TestControllerStopsWithNetwork(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "stop", 24)
	client := fake.NewClientset(testPod("x", "p", "198.18.24.5", nil, 80))
	c := NewController(client, n, ControllerOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	waitServing(t, c, map[string]string{"198.18.24.5:80": "x/p"})
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := nsAddrs(t, n); got != "" {
		t.Errorf("namespace addresses after Run = %q, want none", got)
	}
	if out, _ := ipOut(t, "ss", "-N", n.Namespace(), "-Hltn"); strings.Contains(out, "198.18.24.5") {
		t.Errorf("listener left after Run: %s", out)
	}
}

// TestControllerDrain deletes a served pod and watches how long its server
// goes on answering: DrainPeriod, counted from when the controller saw the
// deletion, or not at all when it is negative.
func TestControllerDrain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		octet    int
		drain    time.Duration
		min, max time.Duration // from Delete to the server's end
	}{
		{"drains", 25, 3 * time.Second, 3 * time.Second, 6 * time.Second},
		{"no drain", 26, -1, 0, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := newTestNetwork(t, fmt.Sprintf("drain%d", tt.octet), tt.octet)
			c, client := runControllerWith(t, n, ControllerOptions{DrainPeriod: tt.drain})
			ip := fmt.Sprintf("198.18.%d.5", tt.octet)
			pods := client.CoreV1().Pods("x")
			if _, err := pods.Create(t.Context(), testPod("x", "old", ip, versionEnv("v1"), 80), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			waitServing(t, c, map[string]string{ip + ":80": "x/old"})
			deleted := time.Now()
			if err := pods.Delete(t.Context(), "old", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			// It answers until it stops; then it is gone with its address.
			lastOK := deleted
			for time.Since(deleted) < tt.max+2*time.Second {
				if _, err := get(t.Context(), n, "http://"+ip+"/"); err != nil {
					break
				}
				lastOK = time.Now()
				time.Sleep(20 * time.Millisecond)
			}
			served := lastOK.Sub(deleted)
			t.Logf("answered for %v after the delete", served)
			if served < tt.min-200*time.Millisecond || served > tt.max { // 200ms: the gap between two GETs

				t.Errorf("the deleted pod answered for %v, want %v to %v", served, tt.min, tt.max)
			}
			waitServing(t, c, map[string]string{})
			if got := nsAddrs(t, n); got != "" {
				t.Errorf("namespace addresses after the drain = %q, want none", got)
			}
		})
	}
}

// TestControllerDrainHandover gives a draining pod's IP to a new pod, as
// kwok does: the new pod is served at once, and Run stops a pod still
// draining when it returns.
func TestControllerDrainHandover(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "handover", 27)
	c, client := runControllerWith(t, n, ControllerOptions{DrainPeriod: time.Minute})
	pods := client.CoreV1().Pods("x")
	ctx := t.Context()
	if _, err := pods.Create(ctx, testPod("x", "old", "198.18.27.5", versionEnv("old"), 80), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitServing(t, c, map[string]string{"198.18.27.5:80": "x/old"})
	if err := pods.Delete(ctx, "old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if r := mustGet(t, n, "http://198.18.27.5/"); r.version != "old" {
		t.Errorf("while draining, GET answered version %q, want old", r.version)
	}
	if _, err := pods.Create(ctx, testPod("x", "new", "198.18.27.5", versionEnv("new"), 80), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitServing(t, c, map[string]string{"198.18.27.5:80": "x/new"}) // long before the minute
	if r := mustGet(t, n, "http://198.18.27.5/"); r.version != "new" {
		t.Errorf("after the handover, GET answered version %q, want new", r.version)
	}
	// Deleted again and left draining: Run's end must stop it.
	if err := pods.Delete(ctx, "new", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if got := c.Serving(); len(got) != 1 {
		t.Errorf("Serving while draining = %v, want the draining pod", got)
	}
}
