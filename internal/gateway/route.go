// Package gateway moves traffic between revisions through a Gateway API
// HTTPRoute: it finds the route in an app's manifests, rewrites its
// backendRefs with weights, waits for the gateway to accept each change
// (the route's status, for the change's generation), and measures the
// split the gateway makes with requests through the route's public
// address, judged against the weights with a binomial tolerance.
//
// It speaks to the API server with the dynamic client, so it works with
// any version of the Gateway API CRDs that serves
// gateway.networking.k8s.io/v1.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipgate/shipgate/internal/kube"
)

// Group is the Gateway API's API group.
const Group = "gateway.networking.k8s.io"

// HTTPRoutes is the resource of HTTPRoutes.
var HTTPRoutes = schema.GroupVersionResource{Group: Group, Version: "v1", Resource: "httproutes"}

// IsRoute reports whether o is an HTTPRoute.
func IsRoute(o kube.Object) bool {
	id := o.ID()
	return id.Group == Group && id.Kind == "HTTPRoute"
}

// Find returns the HTTPRoute of objs named name, or the only one when name
// is empty. The error says which routes there are and the config field
// that picks one.
func Find(objs []kube.Object, name string) (kube.Object, error) {
	var routes []kube.Object
	for _, o := range objs {
		if IsRoute(o) {
			routes = append(routes, o)
		}
	}
	var names []string
	for _, r := range routes {
		if name != "" && r.Obj.GetName() == name {
			return r, nil
		}
		names = append(names, r.Obj.GetName())
	}
	switch {
	case name != "" && len(routes) == 0:
		return kube.Object{}, fmt.Errorf("promote.weighted.route %q: the manifests have no HTTPRoute (gateway.networking.k8s.io/v1); add the route production traffic enters through", name)
	case name != "":
		return kube.Object{}, fmt.Errorf("promote.weighted.route %q: the manifests have no HTTPRoute of that name; they have %v", name, names)
	case len(routes) == 0:
		return kube.Object{}, errors.New("the manifests have no HTTPRoute (gateway.networking.k8s.io/v1): strategy weighted moves traffic by the weights of a Gateway API route; add the route production traffic enters through, or use promote.strategy blue-green")
	case len(routes) > 1:
		return kube.Object{}, fmt.Errorf("the manifests have %d HTTPRoutes %v: set promote.weighted.route to the one whose weights move", len(routes), names)
	}
	return routes[0], nil
}

// Ref is one backendRef of a route.
type Ref struct {
	// Rule and Index place it: spec.rules[Rule].backendRefs[Index].
	Rule, Index int
	// Group, Kind and Name name the backend; Kind is Service when empty.
	Group, Kind, Name string
	// Namespace is set only when the ref names another namespace.
	Namespace string
}

// String places the ref in the route.
func (r Ref) String() string {
	return fmt.Sprintf("spec.rules[%d].backendRefs[%d] (%s %s)", r.Rule, r.Index, r.Kind, r.Name)
}

// IsService reports whether the ref names a core Service.
func (r Ref) IsService() bool { return r.Group == "" && r.Kind == "Service" }

// Refs lists a route's backendRefs.
func Refs(route *unstructured.Unstructured) ([]Ref, error) {
	rules, _, err := unstructured.NestedSlice(route.Object, "spec", "rules")
	if err != nil {
		return nil, fmt.Errorf("HTTPRoute %s spec.rules: %w", route.GetName(), err)
	}
	var out []Ref
	for i, r := range rules {
		rule, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("HTTPRoute %s spec.rules[%d] is not an object", route.GetName(), i)
		}
		refs, _, err := unstructured.NestedSlice(rule, "backendRefs")
		if err != nil {
			return nil, fmt.Errorf("HTTPRoute %s spec.rules[%d].backendRefs: %w", route.GetName(), i, err)
		}
		for j, b := range refs {
			m, ok := b.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("HTTPRoute %s spec.rules[%d].backendRefs[%d] is not an object", route.GetName(), i, j)
			}
			ref := Ref{Rule: i, Index: j, Kind: "Service"}
			ref.Group, _, _ = unstructured.NestedString(m, "group")
			if k, _, _ := unstructured.NestedString(m, "kind"); k != "" {
				ref.Kind = k
			}
			ref.Name, _, _ = unstructured.NestedString(m, "name")
			ref.Namespace, _, _ = unstructured.NestedString(m, "namespace")
			out = append(out, ref)
		}
	}
	return out, nil
}

// Check makes sure every backendRef of route names one of services (in the
// route's own namespace): those are the Services shipgate gives each
// revision a copy of. The error names each ref that does not, and the fix.
func Check(route kube.Object, services []string) error {
	refs, err := Refs(route.Obj)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range refs {
		switch {
		case !r.IsService():
			errs = append(errs, fmt.Errorf("HTTPRoute %s (%s) %s: a backend of kind %s/%s cannot be given per revision; point the route at a Service of the manifests", route.Obj.GetName(), route.Source, r, r.Group, r.Kind))
		case r.Namespace != "" && r.Namespace != route.Obj.GetNamespace():
			errs = append(errs, fmt.Errorf("HTTPRoute %s (%s) %s: the Service is in namespace %s; the route's backends must be Services of the manifests in its own namespace", route.Obj.GetName(), route.Source, r, r.Namespace))
		case !slices.Contains(services, r.Name):
			errs = append(errs, fmt.Errorf("HTTPRoute %s (%s) %s names Service %s, which the manifests do not define (they define %v): shipgate runs each revision behind its own copy of the Services the route sends traffic to; add Service %s to the manifests or point the route at one of theirs",
				route.Obj.GetName(), route.Source, r, r.Name, services, r.Name))
		}
	}
	if len(refs) == 0 {
		errs = append(errs, fmt.Errorf("HTTPRoute %s (%s) has no backendRefs: nothing to weigh; point its rules at the app's Service", route.Obj.GetName(), route.Source))
	}
	return errors.Join(errs...)
}

// Backend is one weighted backend: a Service and its share.
type Backend struct {
	Service string
	Weight  int
}

// Weighted returns a copy of route whose backendRefs are rewritten: a ref
// naming a Service of backends is replaced by one ref per backend of it
// with a weight above zero (port and filters kept), so a weight of zero
// leaves the backend out. backends maps a Service the manifests name to
// the revision Services that stand for it.
func Weighted(route *unstructured.Unstructured, backends map[string][]Backend) (*unstructured.Unstructured, error) {
	out := route.DeepCopy()
	rules, _, err := unstructured.NestedSlice(out.Object, "spec", "rules")
	if err != nil {
		return nil, fmt.Errorf("HTTPRoute %s spec.rules: %w", route.GetName(), err)
	}
	for i, r := range rules {
		rule, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("HTTPRoute %s spec.rules[%d] is not an object", route.GetName(), i)
		}
		refs, _, _ := unstructured.NestedSlice(rule, "backendRefs")
		var next []any
		for _, b := range refs {
			m, _ := b.(map[string]any)
			name, _, _ := unstructured.NestedString(m, "name")
			to, ok := backends[name]
			if !ok {
				next = append(next, b)
				continue
			}
			for _, be := range to {
				if be.Weight <= 0 {
					continue
				}
				c := runtimeCopy(m)
				c["name"] = be.Service
				c["weight"] = int64(be.Weight)
				next = append(next, c)
			}
		}
		rule["backendRefs"] = next
		rules[i] = rule
	}
	if err := unstructured.SetNestedSlice(out.Object, rules, "spec", "rules"); err != nil {
		return nil, fmt.Errorf("HTTPRoute %s: %w", route.GetName(), err)
	}
	return out, nil
}

func runtimeCopy(m map[string]any) map[string]any {
	u := unstructured.Unstructured{Object: m}
	return u.DeepCopy().Object
}

// Apply applies route (server-side, taking its fields from whoever held
// them) and returns the generation the change got: the one a gateway's
// status must reach.
func Apply(ctx context.Context, kc *kube.Client, route kube.Object) (int64, error) {
	applied, err := kc.Apply(ctx, []kube.Object{route}, kube.ApplyOptions{Namespace: route.Obj.GetNamespace(), Force: true})
	if err != nil {
		return 0, fmt.Errorf("apply HTTPRoute %s: %w", route.Obj.GetName(), err)
	}
	if len(applied) != 1 || applied[0].Live == nil {
		return 0, fmt.Errorf("apply HTTPRoute %s: the API server returned no object", route.Obj.GetName())
	}
	return applied[0].Live.GetGeneration(), nil
}
