package kube

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// waitEstablished waits, watching, for a CustomResourceDefinition to be
// Established, at most timeout.
func (c *Client) waitEstablished(ctx context.Context, crds schema.GroupVersionResource, name string, timeout time.Duration) error {
	what := fmt.Sprintf("CustomResourceDefinition %s to be Established", name)
	last := "not seen yet"
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ri := c.Dynamic.Resource(crds)
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return ri.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return ri.Watch(ctx, o)
		},
	}
	_, err := watchtools.UntilWithSync(ctx, lw, &unstructured.Unstructured{}, nil, func(ev watch.Event) (bool, error) {
		u, ok := ev.Object.(*unstructured.Unstructured)
		if !ok || ev.Type == watch.Deleted {
			return false, nil
		}
		st, msg := condition(u, "Established")
		last = fmt.Sprintf("Established=%s %s", st, msg)
		return st == "True", nil
	})
	if err != nil {
		return fmt.Errorf("wait %s for %s (last: %s): %w", timeout, what, last, err)
	}
	return nil
}

// condition returns the status and "reason: message" of a condition in
// status.conditions, or "Unknown" when absent.
func condition(u *unstructured.Unstructured, typ string) (status, msg string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		s, _ := m["status"].(string)
		reason, _ := m["reason"].(string)
		message, _ := m["message"].(string)
		return s, joinNonEmpty(": ", reason, message)
	}
	return "Unknown", "(no condition yet)"
}

// joinNonEmpty joins the non-empty strings with sep.
func joinNonEmpty(sep string, ss ...string) string {
	out := ""
	for _, s := range ss {
		if s == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += s
	}
	return out
}
