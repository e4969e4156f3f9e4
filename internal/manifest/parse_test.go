package manifest_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/manifest"
	"github.com/shipgate/shipgate/internal/result"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got, as indented JSON, with the golden file, or rewrites it
// with -update.
func golden(t *testing.T, file string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatalf("encode %s: %v", file, err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s mismatch (-want +got; go test -update rewrites it):\n%s", file, diff)
	}
}

// parsed is what a golden file of Parse holds.
type parsed struct {
	Objects  []manifest.Object `json:"objects"`
	Findings []result.Finding  `json:"findings"`
}

func TestParseGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/parse/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test inputs: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			// Paths are slash-separated and relative to the repository.
			path := "deploy/" + filepath.Base(file)
			objs, findings := manifest.Parse(path, data)
			golden(t, strings.TrimSuffix(file, ".yaml")+".golden", parsed{objs, findings})
		})
	}
}

func TestParseNode(t *testing.T) {
	t.Parallel()
	data := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n")
	objs, findings := manifest.Parse("a.yaml", data)
	if len(findings) != 0 || len(objs) != 1 {
		t.Fatalf("Parse = %d objects, findings %v; want 1 object", len(objs), findings)
	}
	n := objs[0].Node
	if n == nil || len(n.Content) != 8 || n.Content[7].Content[1].Value != "v" || n.Content[7].Content[1].Line != 6 {
		t.Errorf("Node does not hold the object's mapping with file positions: %#v", n)
	}
}

func TestParseSyntaxPositions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     result.Finding
	}{
		{
			name: "bad indentation",
			in:   "a:\n  b: 1\n c: 2\n",
			want: syntax(3, 2, "did not find expected key"),
		},
		{
			name: "colon in plain value",
			in:   "a: 1\nb: c: d\n",
			want: syntax(2, 4, "mapping values are not allowed in this context"),
		},
		{
			name: "unclosed quote points at the quote",
			in:   "a: 1\nb: \"foo\nc: 2\n",
			want: syntax(2, 4, "found unexpected end of stream"),
		},
		{
			name: "tab indentation",
			in:   "a:\n\t- b\n",
			want: syntax(2, 1, "found character that cannot start any token"),
		},
		{
			name: "unknown anchor",
			in:   "x: 1\ny: *nope\n",
			want: syntax(2, 4, "unknown anchor 'nope' referenced"),
		},
		{
			name: "column counts characters",
			in:   "a: \"é\"\nb: ü: d\n",
			want: syntax(2, 4, "mapping values are not allowed in this context"),
		},
		{
			name: "after a multi-line document",
			in:   "a: |\n  x\n  y\n---\nb:\n  - 1\n  c: 2\n",
			want: syntax(7, 3, "did not find expected '-' indicator"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, all := manifest.Parse("f.yaml", []byte(tt.in))
			var findings []result.Finding
			for _, f := range all {
				if f.Check == manifest.CheckSyntax {
					findings = append(findings, f)
				}
			}
			if len(findings) != 1 {
				t.Fatalf("Parse(%q) findings = %v, want one", tt.in, findings)
			}
			got := findings[0]
			got.Message = strings.SplitAfter(got.Message, ". ")[0] // the hint is tested by the golden files
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) finding mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// syntax is the finding of a YAML syntax error, without its hint.
func syntax(line, col int, msg string) result.Finding {
	return result.Finding{
		Check: manifest.CheckSyntax, Level: result.Failure, Path: "f.yaml", Line: line, Column: col,
		Title: "Invalid YAML", Message: "YAML syntax error: " + msg + ". ",
	}
}

func TestParseEmpty(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "\n", "# c\n", "---\n", "---\n...\n", "\xef\xbb\xbf", "null\n---\n~\n"} {
		objs, findings := manifest.Parse("f.yaml", []byte(in))
		if len(objs) != 0 || len(findings) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want nothing", in, objs, findings)
		}
	}
}

func TestObjectIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		obj    manifest.Object
		id     manifest.ID
		str    string
		scoped bool
	}{
		{
			obj: manifest.Object{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "shop"},
			id:  manifest.ID{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"},
			str: "Deployment/shop/web",
		},
		{
			obj: manifest.Object{APIVersion: "extensions/v1beta1", Kind: "Deployment", Name: "web", Namespace: "shop"},
			id:  manifest.ID{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"},
			str: "Deployment/shop/web",
		},
		{
			obj: manifest.Object{APIVersion: "extensions/v1beta1", Kind: "Ingress", Name: "web"},
			id:  manifest.ID{Group: "networking.k8s.io", Kind: "Ingress", Name: "web"},
			str: "Ingress/web",
		},
		{
			obj:    manifest.Object{APIVersion: "v1", Kind: "Namespace", Name: "shop", Namespace: "ignored"},
			id:     manifest.ID{Kind: "Namespace", Name: "shop"},
			str:    "Namespace/shop",
			scoped: true,
		},
		{
			obj:    manifest.Object{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "view"},
			id:     manifest.ID{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
			str:    "ClusterRole/view",
			scoped: true,
		},
		{
			obj: manifest.Object{APIVersion: "batch/v1", Kind: "Job", GenerateName: "migrate-", Namespace: "shop"},
			id:  manifest.ID{Group: "batch", Kind: "Job", Namespace: "shop"},
			str: "Job/shop/migrate-*",
		},
		{
			obj: manifest.Object{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization"},
			id:  manifest.ID{Group: "kustomize.config.k8s.io", Kind: "Kustomization"},
			str: "Kustomization",
		},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.id, tt.obj.ID()); diff != "" {
				t.Errorf("ID() mismatch (-want +got):\n%s", diff)
			}
			if got := tt.obj.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if got := tt.obj.ClusterScoped(); got != tt.scoped {
				t.Errorf("ClusterScoped() = %v, want %v", got, tt.scoped)
			}
		})
	}
}

// readDir parses every YAML file of a directory, in name order.
func readDir(t testing.TB, dir string) []manifest.Object {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var objs []manifest.Object
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		o, findings := manifest.Parse(filepath.ToSlash(filepath.Join(filepath.Base(dir), e.Name())), data)
		if len(findings) != 0 {
			t.Fatalf("%s: unexpected findings %v", e.Name(), findings)
		}
		objs = append(objs, o...)
	}
	return objs
}
