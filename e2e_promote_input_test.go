package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/shipgate/shipgate/internal/podnet"
	"github.com/shipgate/shipgate/internal/provingground"
)

// TestPromoteRefusesBeforeAnyChange gives the promote stage input it
// must refuse: each run exits 2, names what is wrong and how to fix it,
// and leaves the cluster as it was.
func TestPromoteRefusesBeforeAnyChange(t *testing.T) {
	t.Parallel()
	g, srv, kubeconfig := existingCluster(t)

	t.Run("manifests blue-green cannot switch", func(t *testing.T) {
		t.Parallel()
		const svc = "  selector:\n    app: web\n  ports:"
		for _, tc := range []struct{ ns, edit, want string }{
			{"prod-noselector", "  ports:", "spec.selector is empty"},
			{"prod-noworkload-match", "  selector:\n    app: api\n  ports:", "selector app=api matches the pods of no Deployment"},
		} {
			a := newPromoteApp(t, g, srv, kubeconfig, tc.ns, "1s", 5)
			if !strings.Contains(a.web, svc) {
				t.Fatalf("the test app's Service changed: update this test")
			}
			a.web = strings.Replace(a.web, svc, tc.edit, 1)
			s := a.promote("v1")
			wantCode(t, s, 2)
			if !strings.Contains(s.log, "input manifests deploy: ") || !strings.Contains(s.log, tc.want) {
				t.Errorf("%s: log:\n%s", tc.ns, s.log)
			}
			if len(a.revisions()) != 0 {
				t.Errorf("%s: a revision was recorded: %v", tc.ns, a.revisions())
			}
		}
	})

	t.Run("manifests without a workload", func(t *testing.T) {
		t.Parallel()
		a := newPromoteApp(t, g, srv, kubeconfig, "prod-noworkload", "1s", 5)
		a.web = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n"
		s := a.promote("v1")
		wantCode(t, s, 2)
		if !strings.Contains(s.log, "the manifests have no Deployment") {
			t.Errorf("log:\n%s", s.log)
		}
	})

	t.Run("a kubeconfig without the permissions a promotion needs", func(t *testing.T) {
		t.Parallel()
		a := newPromoteApp(t, g, srv, kubeconfig, "prod-rbac", "1s", 5)
		a.kube = restrictedKubeconfig(t, g, a.ns)
		s := a.promote("v1")
		wantCode(t, s, 2)
		for _, want := range []string{"the kubeconfig may not do what a promotion does in namespace prod-rbac", "create coordination.k8s.io/leases", "delete core/secrets", "nothing was changed"} {
			if !strings.Contains(s.log, want) {
				t.Errorf("the log lacks %q:\n%s", want, s.log)
			}
		}
		if strings.Contains(s.log, "list apps/deployments") {
			t.Errorf("a granted verb is listed as missing:\n%s", s.log)
		}
		if len(a.revisions()) != 0 {
			t.Errorf("a revision was recorded: %v", a.revisions())
		}
	})
}

// restrictedKubeconfig is a kubeconfig for a service account that may
// read the namespace's workloads and Services but not write Leases or
// Secrets.
func restrictedKubeconfig(t *testing.T, g *provingground.Ground, ns string) string {
	t.Helper()
	ctx := t.Context()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer", Namespace: ns}}
	if _, err := g.Client.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "deployer", Namespace: ns}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets"}, Verbs: []string{"get", "list", "watch", "create", "patch", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"services", "pods", "events", "configmaps"}, Verbs: []string{"get", "list", "watch", "create", "patch"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get"}},
	}}
	if _, err := g.Client.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "deployer", Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "deployer"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "deployer", Namespace: ns}}}
	if _, err := g.Client.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tok, err := g.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "deployer", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: g.Cluster.Config.Host, CertificateAuthorityData: g.Cluster.Config.CAData}
	cfg.AuthInfos["deployer"] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	cfg.Contexts["deployer"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "deployer", Namespace: ns}
	cfg.CurrentContext = "deployer"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestPromoteRolling promotes in place and rolls back by applying the
// previous revision's recorded objects again.
func TestPromoteRolling(t *testing.T) {
	t.Parallel()
	g, srv, kubeconfig := existingCluster(t)
	a := newPromoteApp(t, g, srv, kubeconfig, "prod-rolling", "20s", 5, "", "  strategy: rolling\n")
	a.live("v1")
	a.live("v2")
	d, err := g.Client.AppsV1().Deployments(a.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("rolling keeps the manifests' names: %v", err)
	}
	if v := d.Spec.Template.Spec.Containers[0].Env[0].Value; v != "v2" {
		t.Errorf("web runs %s, want v2", v)
	}
	// v3 turns bad once rolled out: the previous revision is applied again.
	done := make(chan struct{})
	go func() {
		defer close(done)
		waitVersionReady(t, g, a.ns, "v3", func(pods []corev1.Pod) {
			for _, p := range pods {
				_ = g.Pods.SetBehavior(a.ns, p.Name, podnetBad("v3"))
			}
		})
	}()
	s := a.promote("v3")
	<-done
	wantCode(t, s, 1)
	checkCases(t, readJUnit(t, s), []string{"rollback/traffic", "rollback/pods-ready", "rollback/traffic-answered"}, nil, true)
	d, err = g.Client.AppsV1().Deployments(a.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil || d.Spec.Template.Spec.Containers[0].Env[0].Value != "v2" {
		t.Errorf("after the rollback web runs %v (%v), want v2", d.Spec.Template.Spec.Containers[0].Env, err)
	}
	if got := a.revisions(); got[3] != "rolled-back" || got[2] != "good" {
		t.Errorf("history %v", got)
	}
}

// podnetBad answers every request with a 500.
func podnetBad(version string) podnet.Behavior { return podnet.Behavior{Version: version, FailRate: 1} }

// waitVersionReady calls fn with the namespace's Ready pods running
// version once every pod of the namespace that is Ready runs it.
func waitVersionReady(t *testing.T, g *provingground.Ground, ns, version string, fn func([]corev1.Pod)) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	w, err := g.Client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Error(err)
		return
	}
	defer w.Stop()
	for range w.ResultChan() {
		list, err := g.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Error(err)
			return
		}
		var ready []corev1.Pod
		all := true
		for _, p := range list.Items {
			if p.DeletionTimestamp != nil || !podReady(p) {
				continue
			}
			if p.Spec.Containers[0].Env[0].Value != version {
				all = false
			}
			ready = append(ready, p)
		}
		if all && len(ready) > 0 {
			fn(ready)
			return
		}
	}
	t.Errorf("no Ready pods of %s in %s within a minute", version, ns)
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
