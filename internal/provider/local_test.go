package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestLocalCloseDropsTheNamespaceWithTheCluster opens the local provider on
// the real control plane and leaves something in the run's namespace that
// holds its deletion (a finalizer): Close must not wait for the namespace,
// since the whole control plane goes with it, and must stop the control
// plane.
func TestLocalCloseDropsTheNamespaceWithTheCluster(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		logged []string
	)
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, fmt.Sprintf(format, args...))
		t.Logf(format, args...)
	}
	var saved []Handle
	c, err := Open(t.Context(), Spec{Provider: Local, RunID: "close-test", Logf: logf}, func(h Handle) error {
		saved = append(saved, h)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ns := c.Handle.UsedNamespace
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "held", Namespace: ns, Finalizers: []string{"shipgate.test/hold"}}}
	if _, err := c.Client.CoreV1().ConfigMaps(ns).Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, l := range logged {
		if strings.Contains(l, "namespace "+ns+" deleted") || strings.Contains(l, "still terminating") {
			t.Errorf("Close waited for the namespace of a cluster it throws away: %q", l)
		}
	}
	if _, err := c.Client.CoreV1().Namespaces().Get(context.WithoutCancel(t.Context()), ns, metav1.GetOptions{}); err == nil {
		t.Errorf("the control plane still answers after Close")
	}
	if len(saved) == 0 || saved[len(saved)-1].Namespace != ns {
		t.Errorf("saved handles %+v, want the last to name namespace %s", saved, ns)
	}
}
