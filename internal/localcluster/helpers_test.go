package localcluster_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/shipgate/shipgate/internal/localcluster"
)

// waitTimeout bounds every watch in these tests.
const waitTimeout = 60 * time.Second

func clientset(t testing.TB, c *localcluster.Cluster) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// watchUntil watches the object named name of resource (served by client's
// API group) until cond holds, and returns the object. cond also describes
// the object's state, which the failure message shows.
func watchUntil[T runtime.Object](t testing.TB, client cache.Getter, resource, namespace, name, what string, cond func(T) (bool, string)) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	lw := cache.NewListWatchFromClient(client, resource, namespace, fields.OneTermEqualSelector("metadata.name", name))
	var zero T
	objType := reflect.New(reflect.TypeOf(zero).Elem()).Interface().(runtime.Object)
	last := "not seen"
	ev, err := watchtools.UntilWithSync(ctx, lw, objType, nil, func(ev watch.Event) (bool, error) {
		if ev.Type == watch.Deleted {
			last = "deleted"
			return false, nil
		}
		done, state := cond(ev.Object.(T))
		last = state
		return done, nil
	})
	if err != nil {
		t.Fatalf("waited %s for %s; last seen: %s: %v", waitTimeout, what, last, err)
	}
	return ev.Object.(T)
}

// podCondition returns the status and message of a pod's condition.
func podCondition(p *corev1.Pod, typ corev1.PodConditionType) (corev1.ConditionStatus, string) {
	for _, c := range p.Status.Conditions {
		if c.Type == typ {
			return c.Status, c.Message
		}
	}
	return corev1.ConditionUnknown, ""
}

// podState is a one-line description of a pod for failure messages.
func podState(p *corev1.Pod) string {
	ready, msg := podCondition(p, corev1.PodReady)
	s := fmt.Sprintf("phase=%s Ready=%s %q podIP=%s", p.Status.Phase, ready, msg, p.Status.PodIP)
	for _, cs := range p.Status.ContainerStatuses {
		s += fmt.Sprintf(" [%s restarts=%d", cs.Name, cs.RestartCount)
		switch {
		case cs.State.Waiting != nil:
			s += " waiting " + cs.State.Waiting.Reason
		case cs.State.Running != nil:
			s += " running"
		case cs.State.Terminated != nil:
			s += fmt.Sprintf(" terminated %s %d", cs.State.Terminated.Reason, cs.State.Terminated.ExitCode)
		}
		s += "]"
	}
	return s
}

// testPod is a one-container pod on the first node, with extra labels.
func testPod(name string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{"kubernetes.io/hostname": localcluster.FirstNode},
			Containers:   []corev1.Container{{Name: "app", Image: "registry.invalid/app:1"}},
		},
	}
}

func createPod(t testing.TB, cs kubernetes.Interface, ns string, pod *corev1.Pod) {
	t.Helper()
	if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", pod.Name, err)
	}
}

// namespace creates a namespace named after the test.
func namespace(t testing.TB, cs kubernetes.Interface, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := cs.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	// Pods are refused until the namespace's default ServiceAccount exists.
	watchUntil(t, cs.CoreV1().RESTClient(), "serviceaccounts", name, "default", "the default ServiceAccount in "+name,
		func(*corev1.ServiceAccount) (bool, string) { return true, "exists" })
	return name
}
