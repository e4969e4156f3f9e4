// Package kube is the Kubernetes layer the stages share: it loads manifests
// (plain YAML and kustomize) with their file:line, applies them with
// server-side apply, waits for them to be ready with kstatus, checks the
// health of pods and writes diagnostics when something fails.
//
// Every function takes a context first; every wait has a deadline and says
// what it waited for. Problems of the manifests or the workload (a conflict
// with another field manager, a crash-looping pod) are findings or
// per-object outcomes; errors mean the step could not run or did not finish.
package kube

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// FieldManager is the field manager of every server-side apply.
const FieldManager = "shipgate"

// The checks whose findings this package produces.
const (
	CheckLoad     = "kube/load"
	CheckApply    = "kube/apply"
	CheckConflict = "kube/field-conflict"
	CheckHealth   = "kube/health"
)

// Source is where an object was read from. Path is slash-separated and
// relative to the repository root; Line is 1-based, or 0 when unknown.
type Source struct {
	Path string `json:"path"`
	Line int    `json:"line,omitempty"`
}

// String renders the source as path:line, or path when the line is unknown.
func (s Source) String() string {
	if s.Line == 0 {
		return s.Path
	}
	return fmt.Sprintf("%s:%d", s.Path, s.Line)
}

// ID identifies an object in a cluster: API group (not version), kind,
// namespace (empty for cluster-scoped objects) and name.
type ID struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String names the object as Kind/namespace/name, or Kind/name for
// cluster-scoped objects, as findings and errors name it.
func (id ID) String() string {
	if id.Namespace == "" {
		return id.Kind + "/" + id.Name
	}
	return id.Kind + "/" + id.Namespace + "/" + id.Name
}

// Short names the object as kubectl does in progress lines: kind/name in
// lower case, e.g. deployment/web.
func (id ID) Short() string {
	return strings.ToLower(id.Kind) + "/" + id.Name
}

// GroupKind returns the object's group and kind.
func (id ID) GroupKind() schema.GroupKind {
	return schema.GroupKind{Group: id.Group, Kind: id.Kind}
}

// Object is one object to apply, with where it came from.
type Object struct {
	// Obj is the object as it will be sent to the API server.
	Obj    *unstructured.Unstructured
	Source Source

	// node is the object's YAML in its source file, when known; it places
	// conflicting fields at their lines.
	node *yaml.Node
}

// ID returns the object's identity. The namespace is the one in the
// manifest: Apply fills in its default for namespaced kinds without one.
func (o Object) ID() ID {
	return IDOf(o.Obj)
}

// String names the object as its ID does.
func (o Object) String() string { return o.ID().String() }

// IDOf returns the identity of an unstructured object.
func IDOf(u *unstructured.Unstructured) ID {
	gvk := u.GroupVersionKind()
	return ID{Group: gvk.Group, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}
}
