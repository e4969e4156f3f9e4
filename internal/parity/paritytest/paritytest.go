// Package paritytest sets up what the parity tests compare: two local
// control planes configured differently, and a production kubeconfig
// bound to the read-only ClusterRole through a ServiceAccount token. Only
// tests import it.
package paritytest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shipgate/shipgate/internal/parity"
)

// Namespace is the target namespace both clusters have, labelled
// differently.
const Namespace = "shop"

// waitTimeout bounds the wait for a CRD to be served.
const waitTimeout = 60 * time.Second

// Production makes cfg's cluster production: what a sandbox typically
// lacks. A CRD (widgets.example.com, Widget v1), a validating webhook for
// Deployments with failurePolicy Fail (only for namespaces labelled
// policy.example.com/enforced, so it never intercepts anything here), a
// default StorageClass fast-ssd, a PriorityClass business-critical, the
// namespace shop enforcing the restricted Pod Security level with a
// ResourceQuota, and arm64 nodes.
func Production(t testing.TB, cfg *rest.Config) {
	t.Helper()
	ctx := t.Context()
	cs := kubernetes.NewForConfigOrDie(cfg)
	must(t, crd(ctx, cfg))
	fail := admissionv1.Fail
	none := admissionv1.SideEffectClassNone
	path := "/validate"
	_, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "policy"},
		Webhooks: []admissionv1.ValidatingWebhook{{
			Name:                    "deployments.policy.example.com",
			ClientConfig:            admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Namespace: "policy", Name: "webhook", Path: &path}},
			Rules:                   []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update}, Rule: admissionv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}}}},
			FailurePolicy:           &fail,
			SideEffects:             &none,
			AdmissionReviewVersions: []string{"v1"},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"policy.example.com/enforced": "true"}},
		}},
	}, metav1.CreateOptions{})
	must(t, err)
	storageClass(t, cs, "fast-ssd", "pd.csi.storage.gke.io")
	_, err = cs.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{
		ObjectMeta: metav1.ObjectMeta{Name: "business-critical"}, Value: 100000,
	}, metav1.CreateOptions{})
	must(t, err)
	namespace(t, cs, map[string]string{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted"})
	// Production's nodes are arm64 (kwok keeps the node info it is given).
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	must(t, err)
	for _, n := range nodes.Items {
		n.Status.NodeInfo.Architecture = "arm64"
		_, err := cs.CoreV1().Nodes().UpdateStatus(ctx, &n, metav1.UpdateOptions{})
		must(t, err)
	}
	_, err = cs.CoreV1().ResourceQuotas(Namespace).Create(ctx, &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "compute"},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("20"), corev1.ResourceRequestsCPU: resource.MustParse("4")}},
	}, metav1.CreateOptions{})
	must(t, err)
}

// Sandbox makes cfg's cluster a typical sandbox: kind's default
// StorageClass standard, and the namespace shop with no Pod Security
// labels.
func Sandbox(t testing.TB, cfg *rest.Config) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(cfg)
	storageClass(t, cs, "standard", "rancher.io/local-path")
	namespace(t, cs, nil)
}

func storageClass(t testing.TB, cs kubernetes.Interface, name, provisioner string) {
	t.Helper()
	_, err := cs.StorageV1().StorageClasses().Create(t.Context(), &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner: provisioner,
	}, metav1.CreateOptions{})
	must(t, err)
}

func namespace(t testing.TB, cs kubernetes.Interface, labels map[string]string) {
	t.Helper()
	_, err := cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace, Labels: labels}}, metav1.CreateOptions{})
	must(t, err)
}

// crd creates widgets.example.com and waits until discovery serves it.
func crd(ctx context.Context, cfg *rest.Config) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets.example.com"},
		"spec": map[string]any{
			"group": "example.com", "scope": "Namespaced",
			"names": map[string]any{"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	if _, err := dyn.Resource(gvr).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create CRD: %w", err)
	}
	disc := kubernetes.NewForConfigOrDie(cfg).Discovery()
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, waitTimeout, true, func(context.Context) (bool, error) {
		rl, err := disc.ServerResourcesForGroupVersion("example.com/v1")
		return err == nil && slices.ContainsFunc(rl.APIResources, func(r metav1.APIResource) bool { return r.Kind == "Widget" }), nil
	})
	if err != nil {
		return fmt.Errorf("wait %s for discovery to serve example.com/v1 Widget: %w", waitTimeout, err)
	}
	return nil
}

// ReadOnlyKubeconfig binds a ServiceAccount of admin's cluster to
// parity's read-only ClusterRole and returns a kubeconfig with its token,
// as a production kubeconfig secret would hold it.
func ReadOnlyKubeconfig(t testing.TB, admin *rest.Config, adminKubeconfig string) string {
	t.Helper()
	return Kubeconfig(t, admin, adminKubeconfig, "shipgate-parity", parity.ReadOnlyRules())
}

// Kubeconfig binds a ServiceAccount name (in a namespace of that name)
// to a ClusterRole with rules and returns a kubeconfig with its token.
func Kubeconfig(t testing.TB, admin *rest.Config, adminKubeconfig, name string, rules []rbacv1.PolicyRule) string {
	t.Helper()
	ctx := t.Context()
	cs := kubernetes.NewForConfigOrDie(admin)
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	must(t, err)
	_, err = cs.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	must(t, err)
	_, err = cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name + "-read"}, Rules: rules}, metav1.CreateOptions{})
	must(t, err)
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-read"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name + "-read"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: name, Name: name}},
	}, metav1.CreateOptions{})
	must(t, err)
	hour := int64(3600)
	tok, err := cs.CoreV1().ServiceAccounts(name).CreateToken(ctx, name, &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &hour}}, metav1.CreateOptions{})
	must(t, err)
	kc, err := clientcmd.LoadFromFile(adminKubeconfig)
	must(t, err)
	for _, a := range kc.AuthInfos {
		a.Token, a.TokenFile, a.ClientCertificateData, a.ClientKeyData = tok.Status.Token, "", nil, nil
	}
	data, err := clientcmd.Write(*kc)
	must(t, err)
	return string(data)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
