package bluegreen

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/shipgate/shipgate/internal/kube"
)

var update = flag.Bool("update", false, "rewrite golden files")

func load(t *testing.T, yamls ...string) []kube.Object {
	t.Helper()
	dir := t.TempDir()
	for i, y := range yamls {
		if err := os.WriteFile(filepath.Join(dir, strings.Repeat("x", i+1)+".yaml"), []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	objs, findings, err := kube.Load(t.Context(), dir, []string{"."})
	if err != nil || len(findings) > 0 {
		t.Fatalf("load: %v %v", err, findings)
	}
	return objs
}

func TestBuildGolden(t *testing.T) {
	t.Parallel()
	objs, findings, err := kube.Load(t.Context(), "testdata", []string{"app"})
	if err != nil || len(findings) > 0 {
		t.Fatalf("load: %v %v", err, findings)
	}
	p, err := Build(objs, "shop", 3, "prod")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	section := func(name string, objs []kube.Object) {
		b.WriteString("# " + name + "\n")
		for _, o := range objs {
			y, err := yaml.Marshal(o.Obj.Object)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("---\n" + string(y))
		}
	}
	section("shared", p.Shared)
	section("revisioned", p.Revisioned())
	section("production services selecting revision 2", p.Selecting(2))
	section("followers of revision 3", p.Following(3))
	b.WriteString("# selector: " + p.Selector() + "\n")
	golden(t, "plan.golden.yaml", b.String())
}

func TestBuildRefuses(t *testing.T) {
	t.Parallel()
	const svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"
	const dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: x}]}\n"
	tests := []struct {
		name, want string
		yamls      []string
	}{
		{"no workload", "the manifests have no Deployment", []string{svc}},
		{"no service", "the manifests have no Service", []string{dep}},
		{"service selecting nothing", "spec.selector is empty", []string{dep, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"}},
		{"selector matching no workload", "selector app=api matches the pods of no Deployment", []string{dep, strings.ReplaceAll(svc, "app: web", "app: api")}},
		{"statefulset", "use promote.strategy rolling", []string{svc, mustRead(t, "testdata/bad/statefulset.yaml")}},
		{"deployment without matchLabels", "spec.selector.matchLabels is empty", []string{svc, strings.ReplaceAll(dep, "selector: {matchLabels: {app: web}}", "selector: {matchExpressions: [{key: app, operator: Exists}]}")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Build(load(t, tc.yamls...), "shop", 1, "prod")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Build() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestBuildLeavesInputAlone(t *testing.T) {
	t.Parallel()
	objs, _, err := kube.Load(t.Context(), "testdata", []string{"app"})
	if err != nil {
		t.Fatal(err)
	}
	before := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		before[i] = o.Obj.DeepCopy()
	}
	p, err := Build(objs, "shop", 7, "prod")
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Selecting(6)
	_ = p.Following(7)
	for i, o := range objs {
		if diff := cmp.Diff(before[i].Object, o.Obj.Object); diff != "" {
			t.Errorf("Build changed its input %s (-before +after):\n%s", o, diff)
		}
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

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
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}
