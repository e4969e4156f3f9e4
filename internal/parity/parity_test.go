package parity_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/localcluster"
	"github.com/shipgate/shipgate/internal/parity"
	"github.com/shipgate/shipgate/internal/parity/paritytest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestTwoControlPlanes compares two local control planes configured
// differently, production read through a ServiceAccount bound to the
// read-only ClusterRole: the differences are listed exactly, the
// manifests' use of what production lacks is found at its lines, and a
// write with the production kubeconfig is refused. Both run the one
// Kubernetes version the proving ground builds, so the version dimension
// is alike here; TestVersionScore covers the skew.
func TestTwoControlPlanes(t *testing.T) {
	t.Parallel()
	sandbox := localcluster.StartT(t)
	production := localcluster.StartT(t)
	paritytest.Sandbox(t, sandbox.Config)
	paritytest.Production(t, production.Config)
	prodKubeconfig := paritytest.ReadOnlyKubeconfig(t, production.Config, production.Kubeconfig)
	prodCfg, err := kube.KubeconfigContent(prodKubeconfig, "production kubeconfig")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("writes are forbidden", func(t *testing.T) {
		t.Parallel()
		cs := kubernetes.NewForConfigOrDie(prodCfg)
		ctx := t.Context()
		for name, write := range map[string]func() error{
			"create a ConfigMap": func() error {
				_, err := cs.CoreV1().ConfigMaps(paritytest.Namespace).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
				return err
			},
			"delete a StorageClass": func() error {
				return cs.StorageV1().StorageClasses().Delete(ctx, "fast-ssd", metav1.DeleteOptions{})
			},
			"label a namespace": func() error {
				_, err := cs.CoreV1().Namespaces().Patch(ctx, paritytest.Namespace, types.MergePatchType,
					[]byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`), metav1.PatchOptions{})
				return err
			},
			"delete a CRD through the webhook's group": func() error {
				return cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "policy", metav1.DeleteOptions{})
			},
		} {
			if err := write(); !apierrors.IsForbidden(err) {
				t.Errorf("%s with the production kubeconfig: %v, want Forbidden", name, err)
			}
		}
		// What was to be changed is unchanged, read with the admin's view.
		admin := kubernetes.NewForConfigOrDie(production.Config)
		ns, err := admin.CoreV1().Namespaces().Get(ctx, paritytest.Namespace, metav1.GetOptions{})
		if err != nil || ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Errorf("namespace %s after the refused patch: %v %v", paritytest.Namespace, ns.Labels, err)
		}
	})

	t.Run("what the role does not grant scores 0 and says what to grant", func(t *testing.T) {
		t.Parallel()
		var rules []rbacv1.PolicyRule
		for _, r := range parity.ReadOnlyRules() {
			r.Resources = slices.DeleteFunc(slices.Clone(r.Resources), func(res string) bool { return res == "nodes" })
			rules = append(rules, r)
		}
		kc := paritytest.Kubeconfig(t, production.Config, production.Kubeconfig, "no-nodes", rules)
		cfg, err := kube.KubeconfigContent(kc, "kubeconfig without nodes")
		if err != nil {
			t.Fatal(err)
		}
		prod, err := parity.Read(t.Context(), cfg, []parity.Namespace{{Name: paritytest.Namespace, As: paritytest.Namespace}})
		if err != nil {
			t.Fatal(err)
		}
		why := prod.Unreadable[parity.Nodes]
		if !strings.Contains(why, "forbidden") || !strings.Contains(why, "grant get and list") || len(prod.Unreadable) != 1 {
			t.Errorf("unreadable = %v, want nodes forbidden with what to grant, and nothing else", prod.Unreadable)
		}
		rep := parity.Compare(prod, prod)
		for _, s := range rep.Scores {
			if s.Dimension.Name == parity.Nodes && (s.Percent != 0 || !strings.Contains(s.Unreadable, "production: ")) {
				t.Errorf("nodes unreadable: score %v, %q", s.Percent, s.Unreadable)
			}
		}
	})

	t.Run("compare", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		namespaces := []parity.Namespace{{Name: paritytest.Namespace, As: paritytest.Namespace}}
		sb, err := parity.Read(ctx, sandbox.Config, namespaces)
		if err != nil {
			t.Fatal(err)
		}
		prod, err := parity.Read(ctx, prodCfg, namespaces)
		if err != nil {
			t.Fatal(err)
		}
		if len(prod.Unreadable) > 0 {
			t.Errorf("the read-only kubeconfig could not read: %v", prod.Unreadable)
		}
		rep := parity.Compare(sb, prod)
		golden(t, "two-planes.golden", render(rep))

		objs, findings, err := kube.Load(ctx, "testdata", []string{"deploy"})
		if err != nil || len(findings) > 0 {
			t.Fatalf("load: %v %v", err, findings)
		}
		var lines []string
		for _, f := range parity.Missing(objs, prod) {
			lines = append(lines, fmt.Sprintf("%s %s %s: %s", f.Location(), f.Level, f.Object, f.Message))
		}
		golden(t, "missing.golden", strings.Join(lines, "\n")+"\n")
	})
}

// render writes a report as the golden files hold it.
func render(rep parity.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "overall %.1f%%\n", rep.Overall)
	for _, s := range rep.Scores {
		fmt.Fprintf(&b, "%-16s %5.1f  %d/%d alike  weight %d%s\n", s.Dimension.Name, s.Percent, s.Matched, s.Total, s.Dimension.Weight, ifSet(" unreadable: ", s.Unreadable))
		for _, d := range s.Differences {
			fmt.Fprintf(&b, "  - %s\n", d.Message())
		}
	}
	return b.String()
}

func ifSet(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got), rerun with -update if intended:\n%s", name, diff)
	}
}
