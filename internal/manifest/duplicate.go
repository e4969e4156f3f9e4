package manifest

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/internal/result"
)

// Duplicates reports every object that another one before it in objs (in the
// same file or another) already defines: applying both would silently keep
// only the later one. The finding is at the later object's metadata.name and
// names the first one's file:line.
//
// Objects are the same when their IDs are: the API group counts, not the
// version, so apps/v1 and extensions/v1beta1 Deployments of one name clash.
// Cluster-scoped kinds ignore the namespace: the built-in ones, and custom
// resources whose CustomResourceDefinition among objs says scope: Cluster.
// For namespaced objects an empty namespace and "default" are different:
// which namespace an object without one lands in is up to the applier, so
// they are not reported. Tool configuration (LocalConfig) and objects with
// only generateName never clash.
func Duplicates(objs []Object) []result.Finding {
	cluster := crdClusterScoped(objs)
	first := make(map[ID]*Object, len(objs))
	var findings []result.Finding
	for i := range objs {
		o := &objs[i]
		if o.LocalConfig || o.Name == "" {
			continue
		}
		id := o.ID()
		scoped := o.ClusterScoped() || cluster[groupKind{id.Group, id.Kind}]
		if scoped {
			id.Namespace = ""
		}
		f, ok := first[id]
		if !ok {
			first[id] = o
			continue
		}
		at := o.NamePos
		if at.Line == 0 {
			at = Pos{o.Line, 1}
		}
		rename := "give them different names or namespaces"
		if scoped {
			rename = "give them different names"
		}
		versions := ""
		if f.APIVersion != o.APIVersion {
			versions = fmt.Sprintf(" (as %s there and %s here)", f.APIVersion, o.APIVersion)
		}
		findings = append(findings, result.Finding{
			Check:  CheckDuplicate,
			Level:  result.Failure,
			Path:   o.Path,
			Line:   at.Line,
			Column: at.Column,
			Title:  "Duplicate object",
			Message: fmt.Sprintf("%s is also defined at %s%s. Applying both keeps only the one applied last: remove one of them, or %s.",
				o, location(f), versions, rename),
			Object: o.String(),
		})
	}
	return findings
}

// location returns path:line of an object's name.
func location(o *Object) string {
	line := o.NamePos.Line
	if line == 0 {
		line = o.Line
	}
	return fmt.Sprintf("%s:%d", o.Path, line)
}

// crdClusterScoped returns the kinds that CustomResourceDefinitions among
// objs declare cluster-scoped.
func crdClusterScoped(objs []Object) map[groupKind]bool {
	cluster := make(map[groupKind]bool)
	for _, o := range objs {
		if o.Kind != "CustomResourceDefinition" || apiGroup(o.APIVersion) != "apiextensions.k8s.io" || o.Node == nil {
			continue
		}
		spec := deref(field(o.Node, "spec"))
		group, scope := scalar(field(spec, "group")), scalar(field(spec, "scope"))
		kind := scalar(field(deref(field(spec, "names")), "kind"))
		if scope == "Cluster" && kind != "" {
			cluster[groupKind{group, kind}] = true
		}
	}
	return cluster
}

// scalar returns a scalar node's value, or "".
func scalar(n *yaml.Node) string {
	if n = deref(n); n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
