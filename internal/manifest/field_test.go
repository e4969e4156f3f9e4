package manifest_test

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/manifest"
)

// parseFile parses a file under testdata that must have no findings.
func parseFile(t testing.TB, file string) []manifest.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	objs, findings := manifest.Parse(file, data)
	if len(findings) != 0 {
		t.Fatalf("%s: unexpected findings %v", file, findings)
	}
	return objs
}

func TestFieldAt(t *testing.T) {
	t.Parallel()
	objs := parseFile(t, "testdata/fields.yaml")
	tests := []struct {
		line       int
		obj, field string
	}{
		{line: 1}, // comment above the first document
		{line: 2}, // ---
		{3, "Deployment/web", "apiVersion"},
		{5, "Deployment/web", "metadata"},
		{6, "Deployment/web", "metadata.name"},
		{8, "Deployment/web", `metadata.labels["app.kubernetes.io/name"]`},
		{10, "Deployment/web", "spec.replicas"},
		{11, "Deployment/web", "spec.template"}, // blank and comment lines go with the field below
		{12, "Deployment/web", "spec.template"},
		{13, "Deployment/web", "spec.template"},
		{15, "Deployment/web", "spec.template.spec.containers"},
		{16, "Deployment/web", "spec.template.spec.containers[0].name"},
		{17, "Deployment/web", "spec.template.spec.containers[0].image"},
		{18, "Deployment/web", "spec.template.spec.containers[0].ports"},
		{19, "Deployment/web", "spec.template.spec.containers[0].ports[0].containerPort"},
		{20, "Deployment/web", "spec.template.spec.containers[0].ports[0].protocol"},
		{21, "Deployment/web", "spec.template.spec.containers[0].args"}, // several items on one line
		{22, "Deployment/web", "spec.template.spec.containers[0].resources.limits"},
		{23, "Deployment/web", "spec.template.spec.containers[1]"}, // a lone "-" starts its item
		{24, "Deployment/web", "spec.template.spec.containers[1].name"},
		{27, "Deployment/web", "spec.template.spec.containers[1].env[0].name"},
		{28, "Deployment/web", "spec.template.spec.containers[1].env[0].value"},
		{30, "Deployment/web", "spec.template.spec.containers[1].env[0].value"},
		{line: 31}, // a comment after the document
		{line: 32},
		{33, "ConfigMap/conf", "apiVersion"},
		{37, "ConfigMap/conf", "data"},
		{38, "ConfigMap/conf", `data["run.sh"]`},
		{39, "ConfigMap/conf", `data["run.sh"]`},
		{40, "ConfigMap/conf", `data["run.sh"]`}, // a comment inside a block scalar is text
		{41, "ConfigMap/conf", `data["run.sh"]`},
		{42, "ConfigMap/conf", "data.other"},
		{43, "ConfigMap/conf", "data.other"},
		{44, "ConfigMap/conf", "data.other"},
		{line: 45},
	}
	for _, tt := range tests {
		obj, field := manifest.FieldAt(objs, tt.line)
		got := ""
		if obj != nil {
			got = obj.String()
		}
		if got != tt.obj || field != tt.field {
			t.Errorf("FieldAt(line %d) = %q, %q; want %q, %q", tt.line, got, field, tt.obj, tt.field)
		}
	}
}

func TestFieldsInRange(t *testing.T) {
	t.Parallel()
	objs := parseFile(t, "testdata/fields.yaml")
	tests := []struct {
		name     string
		from, to int
		want     []string
	}{
		{"one line", 17, 17, []string{"Deployment/web spec.template.spec.containers[0].image"}},
		{"a field and its children", 18, 20, []string{"Deployment/web spec.template.spec.containers[0].ports"}},
		{"siblings", 16, 17, []string{
			"Deployment/web spec.template.spec.containers[0].name",
			"Deployment/web spec.template.spec.containers[0].image",
		}},
		{"across documents", 29, 35, []string{
			"Deployment/web spec.template.spec.containers[1].env[0].value",
			"ConfigMap/conf apiVersion",
			"ConfigMap/conf kind",
			"ConfigMap/conf metadata",
		}},
		{"outside every object", 1, 2, nil},
		{"beyond the file", 44, 1000, []string{"ConfigMap/conf data.other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, f := range manifest.FieldsInRange(objs, tt.from, tt.to) {
				got = append(got, f.Object.String()+" "+f.Path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FieldsInRange(%d, %d) mismatch (-want +got):\n%s", tt.from, tt.to, diff)
			}
		})
	}
}

func TestFieldAtOddLineBreaks(t *testing.T) {
	t.Parallel()
	// Line 6 holds an LS and a NEL inside a quoted value: YAML takes them as
	// line breaks, git does not.
	objs := parseFile(t, "testdata/parse/odd-breaks.yaml")
	for line, want := range map[int]string{6: "metadata.annotations.note", 7: "metadata.annotations.after", 9: "data.k"} {
		if _, got := manifest.FieldAt(objs, line); got != want {
			t.Errorf("FieldAt(line %d) = %q, want %q", line, got, want)
		}
	}
}

func TestFieldAtListItems(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/parse/list.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := manifest.Parse("list.yaml", data)
	tests := []struct {
		line       int
		obj, field string
	}{
		{line: 3}, // the List's own items key
		{4, "ConfigMap/one", "apiVersion"},
		{9, "ConfigMap/one", "data.k"},
		{line: 11}, // the comment above the second item
		{15, "ConfigMap/two", "metadata.name"},
		{19, "ServiceAccount/flow", ""}, // every field on one line: the object
		{27, "ConfigMap/in-typed-list", "metadata.name"},
	}
	for _, tt := range tests {
		obj, field := manifest.FieldAt(objs, tt.line)
		got := ""
		if obj != nil {
			got = obj.String()
		}
		if got != tt.obj || field != tt.field {
			t.Errorf("FieldAt(line %d) = %q, %q; want %q, %q", tt.line, got, field, tt.obj, tt.field)
		}
	}
}
