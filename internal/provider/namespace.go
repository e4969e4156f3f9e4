package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// LabelRun marks the namespaces shipgate makes with the run's name.
const LabelRun = "shipgate.dev/run"

// NamespaceDeleteTimeout bounds the wait for a deleted namespace to be gone.
var NamespaceDeleteTimeout = 2 * time.Minute

// NamespaceFor returns the namespace name of a run, e.g. shipgate-1234-1.
func NamespaceFor(runID string) string {
	n := "shipgate-" + runID
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	return n
}

// useNamespace sets the namespace the stage deploys into: the given one,
// or a fresh one that Close deletes, unless Close deletes the whole
// cluster anyway.
func (c *Cluster) useNamespace(ctx context.Context, spec Spec, save func(Handle) error) error {
	if spec.Namespace != "" {
		c.Handle.UsedNamespace = spec.Namespace
		return save(c.Handle)
	}
	name := NamespaceFor(spec.RunID)
	c.Handle.Namespace, c.Handle.UsedNamespace = name, name
	if err := save(c.Handle); err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelRun: spec.RunID}}}
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{FieldManager: "shipgate"}); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("namespace %s already exists: another run with the same name is using it; re-run the job (a new attempt gets a new namespace) or delete the namespace", name)
		}
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	spec.Logf("namespace %s created", name)
	if c.disposable {
		return nil // it goes with the cluster
	}
	client, logf := c.Client, spec.Logf
	c.onClose(true, func(ctx context.Context) error { return DeleteNamespace(ctx, client, name, logf) })
	return nil
}

// DeleteNamespace deletes a namespace and waits, within
// NamespaceDeleteTimeout, until it is gone. A namespace already gone is
// not an error; one still terminating at the deadline is logged, not an
// error: the cluster finishes the deletion on its own.
func DeleteNamespace(ctx context.Context, client kubernetes.Interface, name string, logf func(string, ...any)) error {
	policy := metav1.DeletePropagationForeground
	err := client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, NamespaceDeleteTimeout)
	defer cancel()
	lw := cache.NewListWatchFromClient(client.CoreV1().RESTClient(), "namespaces", "", fields.OneTermEqualSelector("metadata.name", name))
	_, err = watchtools.UntilWithSync(ctx, lw, &corev1.Namespace{}, func(store cache.Store) (bool, error) {
		return len(store.List()) == 0, nil
	}, func(ev watch.Event) (bool, error) { return ev.Type == watch.Deleted, nil })
	switch {
	case err == nil:
		logf("namespace %s deleted", name)
		return nil
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, watchtools.ErrWatchClosed) || ctx.Err() != nil:
		logf("namespace %s is still terminating after %s; the cluster finishes deleting it", name, NamespaceDeleteTimeout)
		return nil
	}
	return fmt.Errorf("wait for namespace %s to be deleted: %w", name, err)
}
