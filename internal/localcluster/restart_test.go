package localcluster_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/shipgate/shipgate/internal/localcluster"
)

func TestRestartAPIServer(t *testing.T) {
	t.Parallel()
	c := localcluster.StartT(t)
	cs := clientset(t, c)
	cms := cs.CoreV1().ConfigMaps("default")
	before, err := cms.Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "before"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := cms.Watch(t.Context(), metav1.ListOptions{ResourceVersion: before.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	began := time.Now()
	if err := c.RestartAPIServer(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver restarted and ready in %s", time.Since(began).Round(time.Millisecond))

	// The open watch ends: its connection went with the old process.
	closed := time.NewTimer(30 * time.Second)
	defer closed.Stop()
drain:
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				break drain
			}
			if ev.Type != watch.Error {
				t.Errorf("unexpected %s event on the old watch", ev.Type)
			}
		case <-closed.C:
			t.Fatal("waited 30s for the watch opened before the restart to end")
		}
	}

	// The data survived (it is in etcd), and a new watch works. It starts
	// from a fresh list: the new apiserver's watch cache begins at etcd's
	// current revision, so resuming from a resourceVersion older than that
	// gets 410 Expired, as informers expect after a restart.
	list, err := cms.List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, cm := range list.Items {
		found = found || cm.Name == "before" && cm.Data["k"] == "v"
	}
	if !found {
		t.Fatalf("configmap before (k=v) missing after the restart; have %d others", len(list.Items))
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	w2, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	if _, err := cms.Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "after"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-w2.ResultChan():
		if cm, ok := ev.Object.(*corev1.ConfigMap); ev.Type != watch.Added || !ok || cm.Name != "after" {
			t.Errorf("new watch: got %s %v, want ADDED configmap after", ev.Type, ev.Object)
		}
	case <-ctx.Done():
		t.Fatalf("waited %s for the new watch to see configmap after", waitTimeout)
	}

	// The controllers, scheduler and kwok reconnected: a new pod goes Ready.
	createPod(t, cs, "default", testPod("after-restart", nil))
	watchUntil(t, cs.CoreV1().RESTClient(), "pods", "default", "after-restart", "a pod created after the restart to be Ready",
		func(p *corev1.Pod) (bool, string) {
			ready, _ := podCondition(p, corev1.PodReady)
			return ready == corev1.ConditionTrue, podState(p)
		})
}
