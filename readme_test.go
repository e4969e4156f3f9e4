package main_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// TestReadmeDocumentsAction keeps the README's input and output tables
// equal to action.yml: every name, and every input's default.
func TestReadmeDocumentsAction(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct {
			Default  *string `yaml:"default"`
			Required bool    `yaml:"required"`
		} `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
		Runs    struct {
			Using string `yaml:"using"`
			Image string `yaml:"image"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "docker" || action.Runs.Image != "Dockerfile" {
		t.Errorf("action.yml runs %+v, want a docker action built from the Dockerfile", action.Runs)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	inputs := table(t, string(readme), "### Inputs")
	outputs := table(t, string(readme), "### Outputs")

	want := map[string]string{}
	for name, in := range action.Inputs {
		switch {
		case in.Required:
			want[name] = "(required)"
		case in.Default != nil:
			want[name] = *in.Default
		}
	}
	got := map[string]string{}
	for name, cells := range inputs {
		got[name] = strings.Trim(cells[0], "`")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README inputs differ from action.yml (-action.yml +README):\n%s", diff)
	}
	var wantOut, gotOut []string
	for name := range action.Outputs {
		wantOut = append(wantOut, name)
	}
	for name := range outputs {
		gotOut = append(gotOut, name)
	}
	if diff := cmp.Diff(wantOut, gotOut, cmpSorted); diff != "" {
		t.Errorf("README outputs differ from action.yml (-action.yml +README):\n%s", diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

var row = regexp.MustCompile("^\\| `([a-z-]+)` \\|(.*)\\|$")

// table returns the rows of the markdown table under heading: name → cells.
func table(t *testing.T, doc, heading string) map[string][]string {
	t.Helper()
	_, after, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q section", heading)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(after, "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		if m := row.FindStringSubmatch(line); m != nil {
			var cells []string
			for _, c := range strings.Split(m[2], " | ") {
				cells = append(cells, strings.TrimSpace(c))
			}
			rows[m[1]] = cells
		}
	}
	if len(rows) == 0 {
		t.Fatalf("README section %q has no table rows", heading)
	}
	return rows
}
