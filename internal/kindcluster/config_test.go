package kindcluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

const testImage = "kindest/node:v1.33.4@sha256:25a6018e48dfcaee478f4a59af81157a437f15e6e140bf103f85a2e7cd0cbbf2"

func TestParseConfig(t *testing.T) {
	t.Parallel()
	const own = "example.com/node:v1"
	for _, tc := range []struct {
		name, yaml string
		want       []v1alpha4.Node
	}{
		{
			name: "no nodes gets one control plane",
			yaml: "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n",
			want: []v1alpha4.Node{{Role: "control-plane", Image: testImage}},
		},
		{
			name: "nodes without an image get ours",
			yaml: `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  podSubnet: 10.240.0.0/16,fd00:10:244::/56
  ipFamily: dual
nodes:
- role: control-plane
- role: worker
  image: ` + own + `
- role: worker
  labels: {tier: web}
`,
			want: []v1alpha4.Node{
				{Role: "control-plane", Image: testImage},
				{Role: "worker", Image: own},
				{Role: "worker", Image: testImage, Labels: map[string]string{"tier": "web"}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := parseConfig([]byte(tc.yaml), testImage)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, cfg.Nodes); d != "" {
				t.Errorf("nodes (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseConfigRejects(t *testing.T) {
	t.Parallel()
	const head = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"wrong apiVersion", "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n", []string{`apiVersion "kind.x-k8s.io/v1alpha3"`, "want apiVersion: kind.x-k8s.io/v1alpha4"}},
		{"not a cluster", "kind: Pod\napiVersion: v1\n", []string{`kind "Pod"`}},
		{"not yaml", "kind: [", []string{"not YAML"}},
		{"unknown field", head + "nodes:\n- role: worker\n  imagee: x\n", []string{"line 5", "imagee", "kind.sigs.k8s.io/docs/user/configuration"}},
		{"two documents", head + "---\n" + head, []string{"more than one YAML document"}},
		{"bad role", head + "nodes:\n- role: control-plane\n- role: master\n", []string{`nodes[1].role "master": use control-plane or worker`}},
		{"no control plane", head + "nodes:\n- role: worker\n", []string{"nodes: add a node with role: control-plane"}},
		{"bad image", head + "nodes:\n- image: 'a b'\n", []string{"nodes[0].image", "node-image"}},
		{"bad family", head + "networking:\n  ipFamily: ipv5\n", []string{`networking.ipFamily "ipv5"`}},
		{"bad proxy", head + "networking:\n  kubeProxyMode: userspace\n", []string{`networking.kubeProxyMode "userspace"`}},
		{"bad port", head + "networking:\n  apiServerPort: 70000\n", []string{"networking.apiServerPort 70000"}},
		{"bad subnet", head + "networking:\n  serviceSubnet: 10.96.0.0\n", []string{`networking.serviceSubnet "10.96.0.0"`}},
		{"two problems", head + "networking:\n  ipFamily: x\nnodes:\n- role: y\n", []string{"nodes[0].role", "networking.ipFamily"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseConfig([]byte(tc.yaml), testImage)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfigNamesTheInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	if _, err := loadConfig(missing, testImage); err == nil || !strings.HasPrefix(err.Error(), "kind-config: ") {
		t.Errorf("missing file: %v, want a kind-config error", err)
	}
	bad := filepath.Join(dir, "kind.yaml")
	if err := os.WriteFile(bad, []byte("kind: Cluster\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(bad, testImage); err == nil || !strings.HasPrefix(err.Error(), "kind-config "+bad+": ") {
		t.Errorf("bad file: %v, want an error naming kind-config and %s", err, bad)
	}
}
