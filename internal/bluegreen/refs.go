package bluegreen

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipgate/shipgate/internal/kube"
)

// configRef is a ConfigMap or Secret a pod spec names.
type configRef struct{ kind, name string }

// refSite is where a pod spec names a ConfigMap or Secret: the path of the
// name field below an item of a list.
type refSite struct {
	kind string
	path []string
}

// volumeSites are names in a volume; projectedSites in a projected
// volume's source; envFromSites in a container's envFrom item;
// envSites in a container's env item.
var (
	volumeSites    = []refSite{{"ConfigMap", []string{"configMap", "name"}}, {"Secret", []string{"secret", "secretName"}}}
	projectedSites = []refSite{{"ConfigMap", []string{"configMap", "name"}}, {"Secret", []string{"secret", "name"}}}
	envFromSites   = []refSite{{"ConfigMap", []string{"configMapRef", "name"}}, {"Secret", []string{"secretRef", "name"}}}
	envSites       = []refSite{{"ConfigMap", []string{"valueFrom", "configMapKeyRef", "name"}}, {"Secret", []string{"valueFrom", "secretKeyRef", "name"}}}
)

// visitRefs calls fn for every ConfigMap or Secret name in u's pod
// template, with a setter that renames it.
func visitRefs(u *unstructured.Unstructured, fn func(ref configRef, set func(string))) error {
	spec, ok, err := unstructured.NestedMap(u.Object, "spec", "template", "spec")
	if err != nil || !ok {
		return err
	}
	visit := func(item map[string]any, sites []refSite) {
		for _, s := range sites {
			if name, ok, _ := unstructured.NestedString(item, s.path...); ok && name != "" {
				fn(configRef{kind: s.kind, name: name}, func(n string) { _ = unstructured.SetNestedField(item, n, s.path...) })
			}
		}
	}
	each := func(list []any, f func(map[string]any)) {
		for _, it := range list {
			if m, ok := it.(map[string]any); ok {
				f(m)
			}
		}
	}
	vols, _, _ := unstructured.NestedSlice(spec, "volumes")
	each(vols, func(v map[string]any) {
		visit(v, volumeSites)
		srcs, _, _ := unstructured.NestedSlice(v, "projected", "sources")
		each(srcs, func(s map[string]any) { visit(s, projectedSites) })
		if len(srcs) > 0 {
			_ = unstructured.SetNestedSlice(v, srcs, "projected", "sources")
		}
	})
	if len(vols) > 0 {
		if err := unstructured.SetNestedSlice(spec, vols, "volumes"); err != nil {
			return err
		}
	}
	for _, key := range []string{"containers", "initContainers"} {
		ctrs, _, _ := unstructured.NestedSlice(spec, key)
		each(ctrs, func(c map[string]any) {
			envFrom, _, _ := unstructured.NestedSlice(c, "envFrom")
			each(envFrom, func(e map[string]any) { visit(e, envFromSites) })
			env, _, _ := unstructured.NestedSlice(c, "env")
			each(env, func(e map[string]any) { visit(e, envSites) })
			if len(envFrom) > 0 {
				_ = unstructured.SetNestedSlice(c, envFrom, "envFrom")
			}
			if len(env) > 0 {
				_ = unstructured.SetNestedSlice(c, env, "env")
			}
		})
		if len(ctrs) > 0 {
			if err := unstructured.SetNestedSlice(spec, ctrs, key); err != nil {
				return err
			}
		}
	}
	return unstructured.SetNestedMap(u.Object, spec, "spec", "template", "spec")
}

// configRefs lists the ConfigMaps and Secrets u's pod template names.
func configRefs(u *unstructured.Unstructured) []configRef {
	var out []configRef
	_ = visitRefs(u.DeepCopy(), func(r configRef, _ func(string)) { out = append(out, r) })
	return out
}

// renameConfigRefs points u's pod template at the renamed copies.
func renameConfigRefs(u *unstructured.Unstructured, namespace string, renamed map[kube.ID]string) error {
	err := visitRefs(u, func(r configRef, set func(string)) {
		if n := renamed[kube.ID{Kind: r.kind, Namespace: namespace, Name: r.name}]; n != "" {
			set(n)
		}
	})
	if err != nil {
		return fmt.Errorf("rename config references: %w", err)
	}
	return nil
}
