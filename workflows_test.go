package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// The workflows and starter templates the static checks read.
func workflowFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{".github/workflows/*.yml", "workflows-templates/*.yml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 3 {
		t.Fatalf("found only %v; the workflows moved?", files)
	}
	return files
}

func parseYAML(t *testing.T, name string, data []byte) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return &doc
}

func readYAML(t *testing.T, path string) *yaml.Node {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseYAML(t, path, data)
}

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// pairs calls f for each key and value of mapping n, in file order.
func pairs(n *yaml.Node, f func(k, v *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		f(n.Content[i], n.Content[i+1])
	}
}

var (
	// pinnedRef is owner/repo[/path]@<full commit SHA>.
	pinnedRef = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]*)?@[0-9a-f]{40}$`)
	// versionComment names the release the SHA is, e.g. "# v4.2.2".
	versionComment = regexp.MustCompile(`^# v[0-9]+(\.[0-9]+)*\b`)
	// selfRef is shipgate itself (the action, or its reusable workflows),
	// pinned by whoever copies the template.
	selfRef = regexp.MustCompile(`^shipgate/shipgate(/[^@\s]+)?@[^@\s]+$`)
)

// pinProblems lists every `uses:` of a third-party action or workflow that
// is not pinned to a full commit SHA with a version comment, as file:line.
func pinProblems(name string, root *yaml.Node) []string {
	var out []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			pairs(n, func(k, v *yaml.Node) {
				if k.Value != "uses" || v.Kind != yaml.ScalarNode {
					return
				}
				ref, comment := v.Value, v.LineComment+k.LineComment
				switch {
				case strings.HasPrefix(ref, "./"), selfRef.MatchString(ref):
				case !pinnedRef.MatchString(ref):
					out = append(out, fmt.Sprintf("%s:%d: uses: %s is not pinned; pin a full commit SHA: %s@<40 hex digits> # vX.Y.Z", name, v.Line, ref, strings.SplitN(ref, "@", 2)[0]))
				case !versionComment.MatchString(comment):
					out = append(out, fmt.Sprintf("%s:%d: uses: %s has no version comment; add the release it is, e.g. # v1.2.3", name, v.Line, ref))
				}
			})
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	return out
}

func TestWorkflowActionsArePinned(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{name: "SHA with version comment", yaml: "steps:\n  - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"},
		{name: "local action and shipgate itself", yaml: "steps:\n  - uses: ./.shipgate\n  - uses: shipgate/shipgate@main\njobs:\n  x:\n    uses: shipgate/shipgate/.github/workflows/pr.yml@main\n"},
		{
			name: "tag", yaml: "steps:\n  - run: true\n  - uses: actions/checkout@v4\n",
			want: []string{"f.yml:3: uses: actions/checkout@v4 is not pinned; pin a full commit SHA: actions/checkout@<40 hex digits> # vX.Y.Z"},
		},
		{
			name: "short SHA", yaml: "steps:\n  - uses: docker/login-action@184bdaa # v3.5.0\n",
			want: []string{"f.yml:2: uses: docker/login-action@184bdaa is not pinned; pin a full commit SHA: docker/login-action@<40 hex digits> # vX.Y.Z"},
		},
		{
			name: "SHA without comment", yaml: "steps:\n  - uses: docker/login-action@184bdaa0721073962dff0199f1fb9940f07167d1\n",
			want: []string{"f.yml:2: uses: docker/login-action@184bdaa0721073962dff0199f1fb9940f07167d1 has no version comment; add the release it is, e.g. # v1.2.3"},
		},
		{
			name: "a third-party reusable workflow", yaml: "jobs:\n  x:\n    uses: octo/ci/.github/workflows/go.yml@main\n",
			want: []string{"f.yml:3: uses: octo/ci/.github/workflows/go.yml@main is not pinned; pin a full commit SHA: octo/ci/.github/workflows/go.yml@<40 hex digits> # vX.Y.Z"},
		},
		{
			name: "a look-alike of shipgate", yaml: "steps:\n  - uses: shipgate/shipgate-fork@main\n",
			want: []string{"f.yml:2: uses: shipgate/shipgate-fork@main is not pinned; pin a full commit SHA: shipgate/shipgate-fork@<40 hex digits> # vX.Y.Z"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := pinProblems("f.yml", parseYAML(t, "f.yml", []byte(tc.yaml)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	for _, f := range workflowFiles(t) {
		for _, p := range pinProblems(f, readYAML(t, f)) {
			t.Error(p)
		}
	}
}

// reusable is what a workflow_call declares.
type reusable struct {
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Type        string `yaml:"type"`
		Default     any    `yaml:"default"`
	} `yaml:"inputs"`
	Secrets map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
	} `yaml:"secrets"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
}

// readReusable reads on.workflow_call of a workflow file; ok is false when
// the workflow is not reusable.
func readReusable(t *testing.T, path string) (r reusable, ok bool) {
	t.Helper()
	call := get(get(readYAML(t, path), "on"), "workflow_call")
	if call == nil {
		return r, false
	}
	if err := call.Decode(&r); err != nil {
		t.Fatalf("%s: on.workflow_call: %v", path, err)
	}
	return r, true
}

// ourWorkflow maps a job's uses: to the file of one of this repository's
// reusable workflows, as the caller's repository or a copy of the template
// names it.
var ourWorkflow = regexp.MustCompile(`^(?:\./|shipgate/shipgate/)(\.github/workflows/[^@/]+\.ya?ml)(?:@[^@\s]+)?$`)

// callProblems checks each job of root that calls one of our reusable
// workflows: only declared inputs and secrets, every required input, and
// booleans for boolean inputs. It returns the problems and the calls seen.
func callProblems(t *testing.T, name string, root *yaml.Node) (problems []string, calls int) {
	t.Helper()
	pairs(get(root, "jobs"), func(job, body *yaml.Node) {
		uses := get(body, "uses")
		if uses == nil {
			return
		}
		m := ourWorkflow.FindStringSubmatch(uses.Value)
		if m == nil {
			return
		}
		calls++
		decl, ok := readReusable(t, m[1])
		if !ok {
			problems = append(problems, fmt.Sprintf("%s:%d: job %s calls %s, which has no on.workflow_call", name, uses.Line, job.Value, m[1]))
			return
		}
		with := get(body, "with")
		given := map[string]bool{}
		pairs(with, func(k, v *yaml.Node) {
			given[k.Value] = true
			in, ok := decl.Inputs[k.Value]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s:%d: job %s passes input %s, which %s does not declare; see its on.workflow_call.inputs", name, k.Line, job.Value, k.Value, m[1]))
			case in.Type == "boolean" && v.Tag != "!!bool" && !strings.HasPrefix(v.Value, "${{"):
				problems = append(problems, fmt.Sprintf("%s:%d: job %s passes %q to boolean input %s; use true or false", name, v.Line, job.Value, v.Value, k.Value))
			}
		})
		for _, in := range sortedNames(decl.Inputs) {
			if decl.Inputs[in].Required && !given[in] {
				problems = append(problems, fmt.Sprintf("%s:%d: job %s does not pass the required input %s of %s", name, uses.Line, job.Value, in, m[1]))
			}
		}
		if s := get(body, "secrets"); s != nil && s.Value != "inherit" {
			pairs(s, func(k, _ *yaml.Node) {
				if _, ok := decl.Secrets[k.Value]; !ok {
					problems = append(problems, fmt.Sprintf("%s:%d: job %s passes secret %s, which %s does not declare; it has %s", name, k.Line, job.Value, k.Value, m[1], strings.Join(sortedNames(decl.Secrets), ", ")))
				}
			})
		}
	})
	return problems, calls
}

func sortedNames[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestWorkflowCallsPassDeclaredInputs(t *testing.T) {
	t.Parallel()
	const head = "jobs:\n  gate:\n    uses: shipgate/shipgate/.github/workflows/pr.yml@main\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{name: "the required input", yaml: head + "    with:\n      image: ghcr.io/o/a\n      auto-merge: true\n    secrets:\n      merge-token: x\n"},
		{name: "secrets: inherit", yaml: head + "    with:\n      image: ghcr.io/o/a\n    secrets: inherit\n"},
		{name: "the local path", yaml: "jobs:\n  gate:\n    uses: ./.github/workflows/pr.yml\n    with:\n      image: ghcr.io/o/a\n      emulate: ${{ github.event_name == 'push' }}\n"},
		{
			name: "an input the workflow lacks", yaml: head + "    with:\n      image: ghcr.io/o/a\n      kubernetes-version: v1.33.4\n",
			want: []string{"f.yml:6: job gate passes input kubernetes-version, which .github/workflows/pr.yml does not declare; see its on.workflow_call.inputs"},
		},
		{
			name: "a string for a boolean", yaml: head + "    with:\n      image: ghcr.io/o/a\n      auto-merge: \"yes\"\n",
			want: []string{`f.yml:6: job gate passes "yes" to boolean input auto-merge; use true or false`},
		},
		{
			name: "no image", yaml: head + "    with:\n      manifests: deploy\n",
			want: []string{"f.yml:3: job gate does not pass the required input image of .github/workflows/pr.yml"},
		},
		{
			name: "a secret the workflow lacks", yaml: head + "    with:\n      image: ghcr.io/o/a\n    secrets:\n      token: x\n",
			want: []string{"f.yml:7: job gate passes secret token, which .github/workflows/pr.yml does not declare; it has merge-token, registry-token"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, calls := callProblems(t, "f.yml", parseYAML(t, "f.yml", []byte(tc.yaml)))
			if calls != 1 {
				t.Fatalf("%d calls seen, want 1", calls)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	// The template and this repository's CI both call the chain.
	calls := 0
	for _, f := range workflowFiles(t) {
		problems, n := callProblems(t, f, readYAML(t, f))
		calls += n
		for _, p := range problems {
			t.Error(p)
		}
	}
	if calls < 2 {
		t.Errorf("%d calls of our reusable workflows found; want the template's and ci.yml's", calls)
	}
}

// TestReadmeDocumentsWorkflows keeps the README's pull request chain tables
// equal to the reusable workflows' declarations, and checks that every
// input of action.yml is in the README.
func TestReadmeDocumentsWorkflows(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	files, err := filepath.Glob(".github/workflows/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, f := range files {
		decl, ok := readReusable(t, f)
		if !ok {
			continue
		}
		found++
		want, got := map[string]string{}, map[string]string{}
		for name, in := range decl.Inputs {
			want[name] = fmt.Sprint(in.Default)
			if in.Default == nil {
				want[name] = ""
			}
			if in.Required {
				want[name] = "(required)"
			}
		}
		for name, cells := range table(t, readme, "### Workflow inputs") {
			got[name] = strings.Trim(cells[0], "`")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("README's workflow inputs differ from %s (-workflow +README):\n%s", f, diff)
		}
		if diff := cmp.Diff(sortedNames(decl.Secrets), sortedNames(table(t, readme, "### Workflow secrets"))); diff != "" {
			t.Errorf("README's workflow secrets differ from %s (-workflow +README):\n%s", f, diff)
		}
		if diff := cmp.Diff(sortedNames(decl.Outputs), sortedNames(table(t, readme, "### Workflow outputs"))); diff != "" {
			t.Errorf("README's workflow outputs differ from %s (-workflow +README):\n%s", f, diff)
		}
	}
	if found != 1 {
		t.Errorf("%d reusable workflows; the README documents one (pr.yml): add a section and tables for the new one", found)
	}
	var action struct {
		Inputs map[string]any `yaml:"inputs"`
	}
	if err := readYAML(t, "action.yml").Decode(&action); err != nil {
		t.Fatal(err)
	}
	for _, name := range sortedNames(action.Inputs) {
		if !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("README does not mention action input %s", name)
		}
	}
}
