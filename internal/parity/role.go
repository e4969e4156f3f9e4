package parity

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReadOnlyRules are everything Read needs in production: get and list on
// the objects it compares, get on the discovery and version endpoints
// (which every authenticated user has through system:discovery), and
// nothing else. The README shows them as a ClusterRole.
func ReadOnlyRules() []rbacv1.PolicyRule {
	read := []string{"get", "list"}
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"namespaces", "nodes", "resourcequotas", "limitranges"}, Verbs: read},
		{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: read},
		{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"}, Verbs: read},
		{APIGroups: []string{"storage.k8s.io"}, Resources: []string{"storageclasses"}, Verbs: read},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingressclasses"}, Verbs: read},
		{APIGroups: []string{"gateway.networking.k8s.io"}, Resources: []string{"gatewayclasses"}, Verbs: read},
		{APIGroups: []string{"scheduling.k8s.io"}, Resources: []string{"priorityclasses"}, Verbs: read},
		{NonResourceURLs: []string{"/version", "/api", "/api/*", "/apis", "/apis/*"}, Verbs: []string{"get"}},
	}
}

// ReadOnlyClusterRole is ReadOnlyRules as a ClusterRole named name.
func ReadOnlyClusterRole(name string) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules:      ReadOnlyRules(),
	}
}
