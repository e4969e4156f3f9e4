// Package manifest reads Kubernetes YAML files into objects with exact
// positions, so that problems become annotations at file:line:column.
//
// Parse splits a file into documents, reports syntax errors and documents
// that are not Kubernetes objects as findings, and returns the objects with
// the positions of their identifying fields. FieldAt and FieldsInRange name
// the object and field a line belongs to; Duplicates finds objects defined
// twice; Match and IsManifestPath select the files to read.
package manifest

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// The checks whose findings this package produces.
const (
	CheckSyntax         = "manifest/syntax"
	CheckRequiredFields = "manifest/required-fields"
	CheckDuplicate      = "manifest/duplicate-object"
)

// Pos is a 1-based line and column in a file; columns count characters, not
// bytes. The zero Pos means "not present".
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Object is one Kubernetes object, or one tool configuration document (see
// LocalConfig), read from a file.
//
// Object has an unexported field (the field index FieldAt uses): compare
// Objects with cmpopts.IgnoreUnexported(manifest.Object{}).
type Object struct {
	APIVersion   string `json:"api_version"`
	Kind         string `json:"kind"`
	Name         string `json:"name,omitempty"`
	GenerateName string `json:"generate_name,omitempty"`
	Namespace    string `json:"namespace,omitempty"`
	// Path is the path given to Parse.
	Path string `json:"path"`
	// DocIndex is the 0-based index of the object's document among the
	// file's non-empty documents.
	DocIndex int `json:"doc_index"`
	// ListIndex is the object's index in the items of the List document it
	// came from, or -1 when the document itself is the object.
	ListIndex int `json:"list_index"`
	// Line is the object's first line (its first key; comments and the ---
	// above it are not part of it) and EndLine its last line of content.
	Line    int `json:"line"`
	EndLine int `json:"end_line"`
	// APIVersionPos is where the apiVersion value is.
	APIVersionPos Pos `json:"api_version_pos"`
	// KindPos is where the kind key is.
	KindPos Pos `json:"kind_pos"`
	// NamePos is where the metadata.name key is, or metadata.generateName
	// when the object has no name.
	NamePos Pos `json:"name_pos"`
	// LocalConfig marks a document that configures a tool rather than being
	// applied to a cluster: a Kustomization or Component, kind's Cluster
	// config, a kubeadm or kubelet configuration and the like, anything in a
	// file named kustomization.yaml, or an object annotated
	// config.kubernetes.io/local-config: "true". Such documents need no
	// metadata.name.
	LocalConfig bool `json:"local_config,omitempty"`
	// Node is the object's mapping node, with file-absolute positions.
	Node *yaml.Node `json:"-"`

	fields *span
}

// ID identifies an object the way the API server does: by API group (not
// version), kind, namespace and name. Objects with equal IDs are the same
// object in a cluster.
type ID struct {
	// Group is the canonical API group: legacy groups are mapped to the
	// group that serves the kind today (extensions Deployment → apps).
	Group string `json:"group"`
	Kind  string `json:"kind"`
	// Namespace is empty for cluster-scoped kinds, whatever the manifest says.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// ID returns the object's identity. A namespaced object with no namespace
// keeps an empty Namespace: the applier decides where it goes, so it is not
// the same as one in "default".
func (o Object) ID() ID {
	id := ID{Group: canonicalGroup(apiGroup(o.APIVersion), o.Kind), Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
	if isClusterScoped(id.Group, id.Kind) {
		id.Namespace = ""
	}
	return id
}

// ClusterScoped reports whether the object's kind is one of the built-in (or
// well-known) cluster-scoped kinds, which ignore metadata.namespace.
func (o Object) ClusterScoped() bool {
	return isClusterScoped(canonicalGroup(apiGroup(o.APIVersion), o.Kind), o.Kind)
}

// String names the object as kind/namespace/name, or kind/name when it has
// no namespace or is cluster-scoped. An object with only generateName shows
// it followed by "*".
func (o Object) String() string {
	name := o.Name
	if name == "" && o.GenerateName != "" {
		name = o.GenerateName + "*"
	}
	switch {
	case name == "":
		return o.Kind
	case o.Namespace == "" || o.ClusterScoped():
		return o.Kind + "/" + name
	default:
		return o.Kind + "/" + o.Namespace + "/" + name
	}
}

// apiGroup returns the group of an apiVersion: "apps/v1" → "apps", "v1" → "".
func apiGroup(apiVersion string) string {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}
