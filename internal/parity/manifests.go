package parity

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// CheckManifests is the check of what the manifests use that production
// lacks.
const CheckManifests = "parity/manifests"

// ref is a class a manifest names: its kind, where in the object, and
// the name.
type ref struct {
	kind, path, name string
}

// Missing finds what the manifests use that production lacks: a kind it
// does not serve (a CRD not installed there, an API version it removed),
// and a StorageClass, IngressClass, GatewayClass or PriorityClass it does
// not have. What the manifests themselves define (a CRD, a class) counts
// as present. Each is a failure at the line of the field that uses it.
func Missing(objs []kube.Object, production Snapshot) []result.Finding {
	defined := definedByManifests(objs)
	var fs []result.Finding
	at := func(o kube.Object, path, title, msg string) {
		fs = append(fs, result.Finding{Check: CheckManifests, Level: result.Failure, Path: o.Source.Path, Line: o.FieldLine(path),
			Title: title, Message: msg, Object: o.ID().String()})
	}
	for _, o := range objs {
		apiVersion, kind := o.Obj.GetAPIVersion(), o.Obj.GetKind()
		if production.Kinds != nil && !production.Kinds[apiVersion+" "+kind] && !defined[apiVersion+" "+kind] {
			at(o, ".kind", "Production does not serve this kind",
				fmt.Sprintf("Production serves no %s in %s%s; the sandbox's result does not hold there until it does (install its CRD, or use a version production serves).",
					kind, apiVersion, otherVersions(production, apiVersion, kind)))
		}
		for _, r := range classRefs(o.Obj) {
			if production.Classes[r.kind][r.name] || defined[r.kind+" "+r.name] {
				continue
			}
			at(o, r.path, "Production has no "+r.kind+" "+r.name,
				fmt.Sprintf("%s names %s %q (%s), which production does not have%s.", o.ID(), r.kind, r.name, strings.TrimPrefix(r.path, "."), classHint(production, r.kind)))
		}
	}
	return fs
}

// definedByManifests are the kinds the manifests' CRDs serve ("apiVersion
// Kind") and the classes they define ("StorageClass fast").
func definedByManifests(objs []kube.Object) map[string]bool {
	d := map[string]bool{}
	for _, o := range objs {
		switch kind := o.Obj.GetKind(); kind {
		case "CustomResourceDefinition":
			group, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "group")
			k, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "names", "kind")
			vs, _, _ := unstructured.NestedSlice(o.Obj.Object, "spec", "versions")
			for _, v := range vs {
				if m, ok := v.(map[string]any); ok {
					d[fmt.Sprintf("%s/%v %s", group, m["name"], k)] = true
				}
			}
		case "StorageClass", "IngressClass", "GatewayClass", "PriorityClass":
			d[kind+" "+o.Obj.GetName()] = true
		}
	}
	return d
}

// otherVersions names the versions production does serve kind in, when
// any: ", only in example.com/v1beta1".
func otherVersions(production Snapshot, apiVersion, kind string) string {
	group, _, found := strings.Cut(apiVersion, "/")
	if !found {
		group = ""
	}
	var others []string
	for k := range production.Kinds {
		gv, kd, _ := strings.Cut(k, " ")
		g, _, ok := strings.Cut(gv, "/")
		if !ok {
			g = ""
		}
		if kd == kind && g == group {
			others = append(others, gv)
		}
	}
	if len(others) == 0 {
		return ""
	}
	slices.Sort(others)
	return ", only in " + strings.Join(others, ", ")
}

// classHint names the classes production has of a kind.
func classHint(production Snapshot, kind string) string {
	var names []string
	for n := range production.Classes[kind] {
		names = append(names, n)
	}
	if len(names) == 0 {
		return fmt.Sprintf(" (it has no %s at all)", kind)
	}
	slices.Sort(names)
	return fmt.Sprintf(" (it has %s)", strings.Join(names, ", "))
}

// classRefs finds the class names an object uses, with their field paths.
func classRefs(u *unstructured.Unstructured) []ref {
	var refs []ref
	str := func(kind string, path ...string) {
		if v, ok, _ := unstructured.NestedString(u.Object, path...); ok && v != "" {
			refs = append(refs, ref{kind, "." + strings.Join(path, "."), v})
		}
	}
	podSpec := func(prefix ...string) {
		str("PriorityClass", append(prefix, "priorityClassName")...)
	}
	switch u.GetKind() {
	case "PersistentVolumeClaim", "PersistentVolume":
		str("StorageClass", "spec", "storageClassName")
	case "StatefulSet":
		podSpec("spec", "template", "spec")
		ts, _, _ := unstructured.NestedSlice(u.Object, "spec", "volumeClaimTemplates")
		for i, t := range ts {
			if m, ok := t.(map[string]any); ok {
				if v, ok, _ := unstructured.NestedString(m, "spec", "storageClassName"); ok && v != "" {
					refs = append(refs, ref{"StorageClass", fmt.Sprintf(".spec.volumeClaimTemplates[%d].spec.storageClassName", i), v})
				}
			}
		}
	case "Ingress":
		str("IngressClass", "spec", "ingressClassName")
	case "Gateway":
		str("GatewayClass", "spec", "gatewayClassName")
	case "Pod":
		podSpec("spec")
	case "Deployment", "DaemonSet", "ReplicaSet", "Job", "ReplicationController":
		podSpec("spec", "template", "spec")
	case "CronJob":
		podSpec("spec", "jobTemplate", "spec", "template", "spec")
	}
	return refs
}
