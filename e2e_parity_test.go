package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/localcluster"
	"github.com/shipgate/shipgate/internal/parity"
	"github.com/shipgate/shipgate/internal/parity/paritytest"
)

// ingressDoc is an Ingress whose class the production cluster lacks.
const ingressDoc = `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: nginx
  defaultBackend:
    service:
      name: web
      port:
        number: 80
`

// unreachableKubeconfig points at a loopback port nothing listens on.
const unreachableKubeconfig = `apiVersion: v1
kind: Config
clusters:
  - name: gone
    cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
  - name: reader
    user: {token: unreachable-production-token}
contexts:
  - name: gone
    context: {cluster: gone, user: reader}
current-context: gone
`

// TestSandboxParity runs the sandbox stage (provider existing) with a
// production kubeconfig bound to the read-only role on a second control
// plane configured unlike the sandbox: a case per dimension and the
// minimum in the JUnit, every difference in the summary, the percentage
// as an output, the stage failing below sandbox.parity.min and at the
// line of an ingressClassName production lacks. Without the input the
// summary says parity was not measured; a production that does not
// answer fails the minimum and nothing else.
func TestSandboxParity(t *testing.T) {
	t.Parallel()
	_, srv, kubeconfig := existingCluster(t)
	host := imageRegistry(t)
	production := localcluster.StartT(t)
	paritytest.Production(t, production.Config)
	prodKubeconfig := paritytest.ReadOnlyKubeconfig(t, production.Config, production.Kubeconfig)
	dims := []string{"parity/version", "parity/api-versions", "parity/crds", "parity/webhooks", "parity/pod-security", "parity/quotas",
		"parity/storage-classes", "parity/network-classes", "parity/priority-classes", "parity/nodes", "parity/minimum", "parity/manifests"}
	for i, tc := range []struct {
		name       string
		min        string
		ingress    bool
		production string
		wantFail   map[string]string
		wantAt     string
	}{
		{
			name: "below the minimum, and an IngressClass production lacks", min: "90%", ingress: true, production: prodKubeconfig,
			wantFail: map[string]string{"parity/minimum": "below the minimum of 90% (sandbox.parity.min)", "parity/manifests": `IngressClass "nginx"`},
		},
		{name: "within the minimum", min: "20%", production: prodKubeconfig},
		{name: "no production kubeconfig", min: "90%"},
		{
			name: "production does not answer", min: "90%", production: unreachableKubeconfig,
			wantFail: map[string]string{"parity/minimum": "Parity could not be measured"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runID := fmt.Sprint(7000 + i)
			var edits []func(string) string
			if tc.ingress {
				edits = append(edits, func(s string) string { return s + ingressDoc })
			}
			ws := sandboxWorkspace(t, append(edits, withImage(host+"/example/web:1.4.0"))...)
			appendFile(t, filepath.Join(ws, "shipgate.yml"), fmt.Sprintf("  parity:\n    min: %s\n    namespace: %s\n", tc.min, paritytest.Namespace))
			head := fakeSHA(tc.name)
			srv.AddPull(repoName, ghemu.Pull{Number: 70 + i, HeadSHA: head, BaseSHA: fakeSHA("base"), HeadRef: "feature", BaseRef: "main"})
			inputs := map[string]string{
				"stage": "sandbox", "provider": "existing", "kubeconfig": kubeconfig, "production-kubeconfig": tc.production,
				"config": "shipgate.yml", "timeout": "60s",
			}
			s := runStep(t, srv, ws, "pull_request", pullEvent(t, 70+i, head, fakeSHA("base")), inputs, "GITHUB_RUN_ID="+runID)
			wantCode := 0
			if tc.wantFail != nil {
				wantCode = 1
			}
			if s.code != wantCode {
				t.Fatalf("exit code %d, want %d; log:\n%s", s.code, wantCode, s.log)
			}
			cases := readJUnit(t, s)
			if tc.production == "" {
				if !strings.Contains(s.summary, "Parity with production was not measured") {
					t.Errorf("the summary does not say parity was not measured:\n%s", s.summary)
				}
				for _, name := range dims {
					if _, ok := cases[name]; ok {
						t.Errorf("JUnit has %s without a production kubeconfig", name)
					}
				}
				if _, ok := s.outputs["parity"]; ok {
					t.Errorf("output parity = %q without a production kubeconfig", s.outputs["parity"])
				}
				return
			}
			if tc.production == unreachableKubeconfig {
				checkCases(t, cases, []string{"parity/minimum"}, tc.wantFail, true)
				return
			}
			checkCases(t, cases, dims, tc.wantFail, true)
			// The production token is masked like the sandbox's.
			for _, line := range strings.Split(prodKubeconfig, "\n") {
				if tok, ok := strings.CutPrefix(strings.TrimSpace(line), "token: "); ok && !strings.Contains(s.log, "::add-mask::"+tok+"\n") {
					t.Errorf("the production token is not masked")
				}
			}
			pct := s.outputs["parity"]
			if pct == "" || !strings.Contains(s.summary, "Parity with production: "+pct+"% (minimum "+strings.TrimSuffix(tc.min, "%")+"%") {
				t.Errorf("output parity %q is not the summary's percentage:\n%s", pct, s.summary)
			}
			for _, want := range []string{
				"Production has validating webhook deployments.policy.example.com (failurePolicy Fail for CREATE, UPDATE of apps/v1 deployments); the sandbox has none",
				"Production has widgets.example.com (Namespaced, serves v1); the sandbox has none",
				"The default StorageClass: production has fast-ssd, the sandbox none",
				"Production has PriorityClass business-critical (value 100000); the sandbox has none",
				"Namespace shop: production has enforce=restricted, warn=restricted, the sandbox no Pod Security labels (privileged)",
			} {
				if !strings.Contains(s.summary, want) {
					t.Errorf("the summary lacks the difference %q:\n%s", want, s.summary)
				}
			}
			if tc.ingress {
				line := strings.Count(strings.Split(readFile(t, filepath.Join(ws, "deploy/web.yaml")), "ingressClassName")[0], "\n") + 1
				at := fmt.Sprintf("deploy/web.yaml:%d", line)
				if cr := checkRunFor(t, srv, head); !hasAnnotationAt(srv.Annotations(cr.ID), at) {
					t.Errorf("no annotation at %s; annotations: %+v", at, srv.Annotations(cr.ID))
				}
			}
		})
	}
}

// runParityExample runs the README's parity examples: the config is
// parsed as shipgate parses it, and the ClusterRole must be the one
// internal/parity needs (TestTwoControlPlanes binds it and is refused
// every write).
func runParityExample(t *testing.T, example string) {
	if !strings.Contains(example, "kind: ClusterRole") {
		parseExample(t, example)
		return
	}
	var role rbacv1.ClusterRole
	if err := sigsyaml.UnmarshalStrict([]byte(example), &role); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(parity.ReadOnlyClusterRole(role.Name), &role); diff != "" {
		t.Errorf("the README's ClusterRole differs from parity.ReadOnlyRules (-code +README):\n%s", diff)
	}
}

func appendFile(t testing.TB, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
