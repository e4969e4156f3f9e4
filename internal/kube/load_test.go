package kube

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/result"
)

// loaded is what the tests compare of a loaded object.
type loaded struct {
	ID     string
	Source string
}

func summarizeLoad(objs []Object) []loaded {
	var out []loaded
	for _, o := range objs {
		out = append(out, loaded{o.String(), o.Source.String()})
	}
	return out
}

func TestLoadPlain(t *testing.T) {
	t.Parallel()
	objs, findings, err := Load(t.Context(), "testdata/repo", []string{"plain"})
	if err != nil {
		t.Fatal(err)
	}
	want := []loaded{
		{"Namespace/shop", "plain/sub/ns.yml:10"},
		{"Deployment/web", "plain/app.yaml:2"},
		{"Service/web", "plain/app.yaml:20"},
		{"ConfigMap/settings", "plain/sub/ns.yml:1"},
	}
	if diff := cmp.Diff(want, summarizeLoad(objs)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	var got []string
	for _, f := range findings {
		got = append(got, f.Check+" "+f.Location())
	}
	wantFindings := []string{"manifest/syntax plain/broken.yaml:8:12", "kube/load plain/broken.yaml:4:3"}
	if diff := cmp.Diff(wantFindings, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s\n%v", diff, findings)
	}
	// Aliases are resolved; dates stay strings, as kubectl reads them.
	dep := objs[1].Obj
	if l, _, _ := unstructuredString(dep.Object, "spec", "selector", "matchLabels", "app"); l != "web" {
		t.Errorf("selector app = %q, want web (alias resolved)", l)
	}
	if a := objs[3].Obj.GetAnnotations()["since"]; a != "2024-01-02" {
		t.Errorf("annotation since = %q, want 2024-01-02", a)
	}
	if n, _, _ := unstructuredInt(dep.Object, "spec", "replicas"); n != 2 {
		t.Errorf("replicas = %d, want 2", n)
	}
}

func TestLoadKustomize(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"kust/overlay", "kust/overlay/kustomization.yaml"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			objs, findings, err := Load(t.Context(), "testdata/repo", []string{path})
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) > 0 {
				t.Errorf("findings: %v", findings)
			}
			want := []loaded{
				{"CustomResourceDefinition/widgets.example.com", "kust/overlay/crd.yaml:1"},
				{"ServiceAccount/shop/prod-web", "kust/base/deployment.yaml:1"},
				{"Deployment/shop/prod-web", "kust/base/deployment.yaml:6"},
				{"ConfigMap/shop/prod-web-config-t84bgbmfg7", "kust/base/kustomization.yaml:4"},
			}
			if diff := cmp.Diff(want, summarizeLoad(objs)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			for _, o := range objs {
				if _, ok := o.Obj.GetAnnotations()[originAnnotation]; ok {
					t.Errorf("%s keeps the origin annotation", o)
				}
			}
			if n, _, _ := unstructuredInt(objs[2].Obj.Object, "spec", "replicas"); n != 3 {
				t.Errorf("patched replicas = %d, want 3", n)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	t.Parallel()
	if _, _, err := Load(t.Context(), "testdata/repo", []string{"nope"}); err == nil {
		t.Error("Load of a missing path: no error")
	}
}

func TestLoadKustomizeFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "k/kustomization.yaml", "resources: [missing.yaml]\n")
	objs, findings, err := Load(t.Context(), dir, []string{"k"})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 0 || len(findings) != 1 || findings[0].Check != CheckKustomize || findings[0].Path != "k/kustomization.yaml" || findings[0].Level != result.Failure {
		t.Errorf("objs %v, findings %v; want one kube/kustomize finding at k/kustomization.yaml", objs, findings)
	}
}

func TestLoadKustomizeKeepsOwnOrigins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "k/kustomization.yaml", "resources: [cm.yaml]\nbuildMetadata: [originAnnotations]\n")
	writeFile(t, dir, "k/cm.yaml", "# c\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
	objs, _, err := Load(t.Context(), dir, []string{"k"})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Source.String() != "k/cm.yaml:2" {
		t.Fatalf("objs = %v", summarizeLoad(objs))
	}
	if _, ok := objs[0].Obj.GetAnnotations()[originAnnotation]; !ok {
		t.Error("the origin annotation the kustomization asked for was removed")
	}
}
