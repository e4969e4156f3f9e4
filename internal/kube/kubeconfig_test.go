package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

const goodKubeconfig = `apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod
  cluster: {server: "https://127.0.0.1:6443"}
contexts:
- name: prod
  context: {cluster: prod, user: admin}
users:
- name: admin
  user: {token: kubeconfigTestSecret}
`

// TestKubeconfigErrors gives each broken kubeconfig as content and as a
// file: the error names where it came from and what a kubeconfig needs,
// never client-go's fallback advice, never the content.
func TestKubeconfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "is empty; a kubeconfig needs a current-context"},
		{"garbage", "users: [{token: kubeconfigTestSecret", "is not a valid kubeconfig (it does not parse as YAML or JSON)"},
		{"no current context", strings.Replace(goodKubeconfig, "current-context: prod", "", 1), "has no current-context; a kubeconfig needs"},
		{"current context missing", strings.Replace(goodKubeconfig, "current-context: prod", "current-context: staging", 1), `current-context "staging" is not one of its contexts (prod)`},
		{"cluster without a server", strings.Replace(goodKubeconfig, `server: "https://127.0.0.1:6443"`, `server: ""`, 1), `context "prod" names cluster "prod", which has no server`},
		{"context names a missing cluster", strings.Replace(goodKubeconfig, "{cluster: prod, user", "{cluster: gone, user", 1), `names cluster "gone", which has no server`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "kubeconfig")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, errContent := KubeconfigContent(tc.content, "input kubeconfig")
			_, errFile := KubeconfigFile(path, "--kubeconfig")
			for prefix, err := range map[string]error{"input kubeconfig": errContent, "kubeconfig file " + path + " (--kubeconfig)": errFile} {
				if err == nil {
					t.Fatalf("%s: no error", prefix)
				}
				msg := err.Error()
				if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.want) || !strings.Contains(msg, "a kubeconfig needs a current-context") {
					t.Errorf("error %q\nwant it to start with %q and contain %q and what a kubeconfig needs", msg, prefix, tc.want)
				}
				for _, bad := range []string{"KUBERNETES_MASTER", "kubeconfigTestSecret"} {
					if strings.Contains(msg, bad) {
						t.Errorf("error %q contains %q", msg, bad)
					}
				}
			}
		})
	}
}

func TestKubeconfigGood(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(goodKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, load := range []func() (*rest.Config, error){
		func() (*rest.Config, error) { return KubeconfigContent(goodKubeconfig, "input kubeconfig") },
		func() (*rest.Config, error) { return KubeconfigFile(path, "--kubeconfig") },
	} {
		cfg, err := load()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Host != "https://127.0.0.1:6443" || cfg.BearerToken != "kubeconfigTestSecret" {
			t.Errorf("config host %q, token set %t; want the server and the token", cfg.Host, cfg.BearerToken != "")
		}
	}
	if _, err := KubeconfigFile(filepath.Join(t.TempDir(), "nope"), "--kubeconfig"); err == nil || !strings.Contains(err.Error(), "does not exist; give the path of a kubeconfig file") {
		t.Errorf("missing file: %v", err)
	}
}
