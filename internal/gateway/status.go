package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// The route conditions a change must reach.
const (
	Accepted     = "Accepted"
	ResolvedRefs = "ResolvedRefs"
)

// RefusedError is a gateway's refusal of a route change: a condition the
// gateway set to False for the change's generation, with its reason and
// message.
type RefusedError struct {
	Route      string
	Generation int64
	// Parent names the parentRef, Controller the gateway controller.
	Parent, Controller string
	Condition          string
	Reason, Message    string
}

func (e *RefusedError) Error() string {
	msg := fmt.Sprintf("the gateway (%s) refused HTTPRoute %s generation %d for parent %s: %s is False, reason %s", e.Controller, e.Route, e.Generation, e.Parent, e.Condition, e.Reason)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Parent is the status one gateway wrote for one parentRef.
type Parent struct {
	Parent, Controller string
	// Conditions maps a condition type to its status, for the generation
	// it was observed at.
	Conditions map[string]Condition
}

// Condition is one condition of a parent's status.
type Condition struct {
	Status, Reason, Message string
	ObservedGeneration      int64
}

// Parents reads a route's status.parents.
func Parents(route *unstructured.Unstructured) []Parent {
	list, _, _ := unstructured.NestedSlice(route.Object, "status", "parents")
	var out []Parent
	for _, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		ref, _, _ := unstructured.NestedMap(m, "parentRef")
		p := Parent{Parent: parentKey(ref, route.GetNamespace()), Conditions: map[string]Condition{}}
		p.Controller, _, _ = unstructured.NestedString(m, "controllerName")
		conds, _, _ := unstructured.NestedSlice(m, "conditions")
		for _, c := range conds {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			typ, _, _ := unstructured.NestedString(cm, "type")
			var cond Condition
			cond.Status, _, _ = unstructured.NestedString(cm, "status")
			cond.Reason, _, _ = unstructured.NestedString(cm, "reason")
			cond.Message, _, _ = unstructured.NestedString(cm, "message")
			cond.ObservedGeneration = integer(cm["observedGeneration"])
			p.Conditions[typ] = cond
		}
		out = append(out, p)
	}
	return out
}

// parentKey names a parentRef: [namespace/]name[/sectionName][:port],
// with its kind when it is not a Gateway.
func parentKey(ref map[string]any, routeNS string) string {
	str := func(k string) string { s, _, _ := unstructured.NestedString(ref, k); return s }
	key := str("name")
	if ns := str("namespace"); ns != "" && ns != routeNS {
		key = ns + "/" + key
	}
	if k := str("kind"); k != "" && k != "Gateway" {
		key = k + " " + key
	}
	if s := str("sectionName"); s != "" {
		key += "/" + s
	}
	if port := integer(ref["port"]); port != 0 {
		key += fmt.Sprintf(":%d", port)
	}
	return key
}

// specParents names the parentRefs of a route's spec.
func specParents(route *unstructured.Unstructured) []string {
	refs, _, _ := unstructured.NestedSlice(route.Object, "spec", "parentRefs")
	var out []string
	for _, r := range refs {
		if m, ok := r.(map[string]any); ok {
			out = append(out, parentKey(m, route.GetNamespace()))
		}
	}
	return out
}

// judge says whether route's status accepts generation for every
// parentRef: done when it does; a *RefusedError when a gateway set
// Accepted or ResolvedRefs False at generation; else what is missing.
func judge(route *unstructured.Unstructured, generation int64) (done bool, waiting string, err error) {
	parents := Parents(route)
	var missing []string
	for _, want := range specParents(route) {
		var seen []string
		ok := false
		for _, p := range parents {
			if p.Parent != want {
				continue
			}
			all := true
			for _, typ := range []string{Accepted, ResolvedRefs} {
				c, found := p.Conditions[typ]
				switch {
				case !found || c.ObservedGeneration < generation:
					all = false
					seen = append(seen, fmt.Sprintf("%s by %s not yet for generation %d", typ, p.Controller, generation))
				case c.Status == string(metav1.ConditionFalse) && c.ObservedGeneration == generation:
					return false, "", &RefusedError{Route: route.GetName(), Generation: generation, Parent: want, Controller: p.Controller, Condition: typ, Reason: c.Reason, Message: c.Message}
				case c.Status != string(metav1.ConditionTrue):
					all = false
					seen = append(seen, fmt.Sprintf("%s %s (%s)", typ, c.Status, c.Reason))
				}
			}
			ok = ok || all
		}
		if !ok {
			if len(seen) == 0 {
				seen = append(seen, "no status from any gateway")
			}
			missing = append(missing, fmt.Sprintf("parent %s: %s", want, strings.Join(seen, "; ")))
		}
	}
	if len(missing) > 0 {
		return false, strings.Join(missing, "; "), nil
	}
	return true, "", nil
}

// WaitAccepted waits, watching the route, until its status shows Accepted
// and ResolvedRefs True for generation from a gateway for every parentRef
// of its spec. A condition False at generation is a *RefusedError at once;
// when timeout passes, the error says what the status still lacked.
func WaitAccepted(ctx context.Context, client dynamic.Interface, namespace, name string, generation int64, timeout time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res := client.Resource(HTTPRoutes).Namespace(namespace)
	waiting := "no status read yet"
	for {
		list, err := res.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
		if err != nil {
			return time.Time{}, waitErr(ctx, name, generation, timeout, waiting, err)
		}
		if len(list.Items) == 0 {
			return time.Time{}, fmt.Errorf("HTTPRoute %s/%s does not exist", namespace, name)
		}
		done, why, err := judge(&list.Items[0], generation)
		if done || err != nil {
			return time.Now(), err
		}
		waiting = why
		w, err := res.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name, ResourceVersion: list.GetResourceVersion()})
		if err != nil {
			return time.Time{}, waitErr(ctx, name, generation, timeout, waiting, err)
		}
		at, relist, err := follow(ctx, w, generation, &waiting)
		w.Stop()
		if !relist {
			if err != nil {
				return time.Time{}, waitErr(ctx, name, generation, timeout, waiting, err)
			}
			return at, nil
		}
	}
}

// follow reads watch events until the route is accepted (or refused);
// relist is true when the watch ended first.
func follow(ctx context.Context, w watch.Interface, generation int64, waiting *string) (at time.Time, relist bool, err error) {
	for {
		select {
		case <-ctx.Done():
			return time.Time{}, false, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return time.Time{}, true, nil
			}
			u, isObj := ev.Object.(*unstructured.Unstructured)
			if !isObj || ev.Type == watch.Deleted {
				continue
			}
			done, why, err := judge(u, generation)
			if err != nil {
				return time.Time{}, false, err
			}
			if done {
				return time.Now(), false, nil
			}
			*waiting = why
		}
	}
}

func waitErr(ctx context.Context, name string, generation int64, timeout time.Duration, waiting string, err error) error {
	var refused *RefusedError
	if errors.As(err, &refused) {
		return err
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return fmt.Errorf("wait for a gateway to accept HTTPRoute %s generation %d (Accepted and ResolvedRefs True; timeout %s): %s; is a gateway controller running for the route's parents?", name, generation, timeout, waiting)
	}
	return fmt.Errorf("wait for a gateway to accept HTTPRoute %s generation %d: %w", name, generation, err)
}

// integer reads a JSON number decoded as int64 (client-go) or float64.
func integer(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// sortedKeys lists a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
