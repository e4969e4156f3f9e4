package manifest

import (
	"path"
	"strings"
)

// groupKind is an API group and a kind.
type groupKind struct{ group, kind string }

// clusterScoped lists the built-in cluster-scoped kinds and a few well-known
// ones from popular CRDs. Kinds not listed are taken as namespaced;
// Duplicates also learns the scope of kinds whose CRD is among its objects.
var clusterScoped = map[groupKind]bool{
	{"", "Namespace"}:        true,
	{"", "Node"}:             true,
	{"", "PersistentVolume"}: true,
	{"", "ComponentStatus"}:  true,

	{"rbac.authorization.k8s.io", "ClusterRole"}:        true,
	{"rbac.authorization.k8s.io", "ClusterRoleBinding"}: true,

	{"apiextensions.k8s.io", "CustomResourceDefinition"}: true,
	{"apiregistration.k8s.io", "APIService"}:             true,

	{"storage.k8s.io", "StorageClass"}:          true,
	{"storage.k8s.io", "CSIDriver"}:             true,
	{"storage.k8s.io", "CSINode"}:               true,
	{"storage.k8s.io", "VolumeAttachment"}:      true,
	{"storage.k8s.io", "VolumeAttributesClass"}: true,

	{"scheduling.k8s.io", "PriorityClass"}: true,
	{"node.k8s.io", "RuntimeClass"}:        true,

	{"networking.k8s.io", "IngressClass"}: true,
	{"networking.k8s.io", "IPAddress"}:    true,
	{"networking.k8s.io", "ServiceCIDR"}:  true,

	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"}:   true,
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration"}:     true,
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"}:        true,
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"}: true,
	{"admissionregistration.k8s.io", "MutatingAdmissionPolicy"}:          true,
	{"admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"}:   true,

	{"certificates.k8s.io", "CertificateSigningRequest"}: true,
	{"certificates.k8s.io", "ClusterTrustBundle"}:        true,

	{"flowcontrol.apiserver.k8s.io", "FlowSchema"}:                 true,
	{"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"}: true,

	{"policy", "PodSecurityPolicy"}: true,

	{"resource.k8s.io", "DeviceClass"}:   true,
	{"resource.k8s.io", "ResourceSlice"}: true,

	{"authentication.k8s.io", "TokenReview"}:               true,
	{"authentication.k8s.io", "SelfSubjectReview"}:         true,
	{"authorization.k8s.io", "SubjectAccessReview"}:        true,
	{"authorization.k8s.io", "SelfSubjectAccessReview"}:    true,
	{"authorization.k8s.io", "SelfSubjectRulesReview"}:     true,
	{"storagemigration.k8s.io", "StorageVersionMigration"}: true,
	{"internal.apiserver.k8s.io", "StorageVersion"}:        true,

	// Well-known cluster-scoped custom resources.
	{"gateway.networking.k8s.io", "GatewayClass"}:              true,
	{"cert-manager.io", "ClusterIssuer"}:                       true,
	{"external-secrets.io", "ClusterSecretStore"}:              true,
	{"external-secrets.io", "ClusterExternalSecret"}:           true,
	{"kyverno.io", "ClusterPolicy"}:                            true,
	{"snapshot.storage.k8s.io", "VolumeSnapshotClass"}:         true,
	{"snapshot.storage.k8s.io", "VolumeSnapshotContent"}:       true,
	{"templates.gatekeeper.sh", "ConstraintTemplate"}:          true,
	{"karpenter.sh", "NodePool"}:                               true,
	{"karpenter.k8s.aws", "EC2NodeClass"}:                      true,
	{"argoproj.io", "ClusterWorkflowTemplate"}:                 true,
	{"tekton.dev", "ClusterTask"}:                              true,
	{"crd.projectcalico.org", "GlobalNetworkPolicy"}:           true,
	{"projectcalico.org", "GlobalNetworkPolicy"}:               true,
	{"cilium.io", "CiliumClusterwideNetworkPolicy"}:            true,
	{"policy.networking.k8s.io", "AdminNetworkPolicy"}:         true,
	{"policy.networking.k8s.io", "BaselineAdminNetworkPolicy"}: true,
}

func isClusterScoped(group, kind string) bool {
	return clusterScoped[groupKind{group, kind}]
}

// legacyGroups maps kinds that moved out of a legacy group to the group that
// serves them today, so that both spellings name the same object.
var legacyGroups = map[groupKind]string{
	{"extensions", "Deployment"}:        "apps",
	{"extensions", "DaemonSet"}:         "apps",
	{"extensions", "ReplicaSet"}:        "apps",
	{"extensions", "Ingress"}:           "networking.k8s.io",
	{"extensions", "NetworkPolicy"}:     "networking.k8s.io",
	{"extensions", "PodSecurityPolicy"}: "policy",
	{"events.k8s.io", "Event"}:          "",
}

// canonicalGroup returns the group that serves kind today.
func canonicalGroup(group, kind string) string {
	if g, ok := legacyGroups[groupKind{group, kind}]; ok {
		return g
	}
	return group
}

// localConfigGroups are API groups of tool configuration, which is read by a
// tool and never applied to a cluster.
var localConfigGroups = map[string]bool{
	"kustomize.config.k8s.io":     true, // Kustomization, Component
	"kind.x-k8s.io":               true, // kind's Cluster
	"k3d.io":                      true, // k3d's Simple
	"kubeadm.k8s.io":              true, // InitConfiguration, ClusterConfiguration, ...
	"kubelet.config.k8s.io":       true, // KubeletConfiguration
	"kubeproxy.config.k8s.io":     true, // KubeProxyConfiguration
	"kubescheduler.config.k8s.io": true, // KubeSchedulerConfiguration
	"apiserver.config.k8s.io":     true, // EncryptionConfiguration, AdmissionConfiguration
	"audit.k8s.io":                true, // audit Policy
	"kpt.dev":                     true, // Kptfile
	"builtin":                     true, // kustomize's built-in plugin configs
	"config.kubernetes.io":        true, // kpt/kustomize function configs
	"fn.kpt.dev":                  true,
	"ctlptl.dev":                  true, // ctlptl's Cluster and Registry
	"skaffold":                    true, // skaffold.yaml (apiVersion skaffold/v4beta…)
}

// isLocalConfig reports whether a document configures a tool (see
// Object.LocalConfig).
func isLocalConfig(filePath, apiVersion string) bool {
	return isKustomizationFile(filePath) || localConfigGroups[apiGroup(apiVersion)]
}

// isKustomizationFile reports whether kustomize reads the file as its
// kustomization, which may omit apiVersion and kind.
func isKustomizationFile(filePath string) bool {
	switch path.Base(strings.ReplaceAll(filePath, "\\", "/")) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}
