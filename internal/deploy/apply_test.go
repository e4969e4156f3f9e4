package deploy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/localcluster"
)

// TestApplyRejected deploys onto the real local control plane objects the
// API server refuses: each is a finding at the line of the field the API
// server names (the object's line when it names none), the readiness wait
// is skipped, and nothing is an error.
func TestApplyRejected(t *testing.T) {
	t.Parallel()
	c := localcluster.StartT(t)
	kc, err := kube.NewClient(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{
			name: "negative replicas",
			yaml: strings.Replace(web("example.com/web:1"), "replicas: 1", "replicas: -2", 1),
			want: []string{"failure deploy/web.yaml:6 Rejected by the API server: spec.replicas"},
		},
		{
			name: "invalid container port, deep in the pod template",
			yaml: web("example.com/web:1") + "          ports:\n            - containerPort: 70000\n",
			want: []string{"failure deploy/web.yaml:17 Rejected by the API server: spec.template.spec.containers[0].ports[0].containerPort"},
		},
		{
			name: "a valid object beside one in a namespace that does not exist",
			yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lost\n  namespace: nowhere\n",
			want: []string{"failure deploy/web.yaml:5 Rejected by the API server"},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := writeRepo(t, map[string]string{"deploy/web.yaml": tc.yaml})
			ns := "rejected-" + string(rune('a'+i))
			objs := load(t, root)
			if _, err := kc.Apply(t.Context(), []kube.Object{namespace(t, ns)}, kube.ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			opts := deploy.Options{Root: root, Manifests: "deploy", Namespace: ns, Timeout: time.Minute, Registry: deploy.Registry{Skip: "not under test"}}
			res, err := deploy.Apply(t.Context(), kc, objs, opts)
			if err != nil {
				t.Fatalf("Apply() error = %v, want findings", err)
			}
			if diff := cmp.Diff(tc.want, at(res.Checks, deploy.CheckApply)); diff != "" {
				t.Errorf("apply check (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"skipped: the API server did not accept every object"}, at(res.Checks, deploy.CheckReady)); diff != "" {
				t.Errorf("ready check (-want +got):\n%s", diff)
			}
			if !res.Failed() {
				t.Error("Failed() = false")
			}
		})
	}
}

// load loads the repository's deploy directory and fails on any finding.
func load(t *testing.T, root string) deploy.Loaded {
	t.Helper()
	l, err := deploy.Load(t.Context(), deploy.Options{Root: root, Manifests: "deploy", Registry: deploy.Registry{Skip: "not under test"}})
	if err != nil || l.Failed() {
		t.Fatalf("Load() = %+v, %v", l.Checks, err)
	}
	return l
}

func namespace(t *testing.T, name string) kube.Object {
	t.Helper()
	root := writeRepo(t, map[string]string{"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + "}\n"})
	l, err := deploy.Load(t.Context(), deploy.Options{Root: root, Manifests: "ns.yaml", Registry: deploy.Registry{Skip: "none"}})
	if err != nil || len(l.Objects) != 1 {
		t.Fatalf("Load(namespace) = %+v, %v", l, err)
	}
	return l.Objects[0]
}
