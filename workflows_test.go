package main_test

import (
	"bytes"
	"encoding/json"
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
			want: []string{"f.yml:7: job gate passes secret token, which .github/workflows/pr.yml does not declare; it has merge-token, production-kubeconfig, registry-token"},
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
	// Every reusable workflow has a starter template that calls it, and
	// this repository's CI calls the chain.
	called := map[string][]string{}
	for _, f := range workflowFiles(t) {
		problems, _ := callProblems(t, f, readYAML(t, f))
		for _, p := range problems {
			t.Error(p)
		}
		for _, w := range calledWorkflows(readYAML(t, f)) {
			called[w] = append(called[w], f)
		}
	}
	for _, w := range reusableWorkflows(t) {
		if !slices.ContainsFunc(called[w], func(f string) bool { return strings.HasPrefix(f, "workflows-templates/") }) {
			t.Errorf("no starter template in workflows-templates calls %s (it is called by %v); add one so users can copy it", w, called[w])
		}
	}
	if !slices.Contains(called[".github/workflows/pr.yml"], ".github/workflows/ci.yml") {
		t.Errorf("ci.yml does not call pr.yml; the chain runs on the sample app in this repository's CI")
	}
}

// calledWorkflows returns the files of our reusable workflows the jobs of
// root call.
func calledWorkflows(root *yaml.Node) []string {
	var out []string
	pairs(get(root, "jobs"), func(_, body *yaml.Node) {
		if m := ourWorkflow.FindStringSubmatch(scalar(get(body, "uses"))); m != nil {
			out = append(out, m[1])
		}
	})
	return out
}

// reusableWorkflows returns the files of .github/workflows that are
// reusable (on: workflow_call).
func reusableWorkflows(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(".github/workflows/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if _, ok := readReusable(t, f); ok {
			out = append(out, f)
		}
	}
	if len(out) < 3 {
		t.Fatalf("reusable workflows %v; want pr.yml, release.yml and rollback.yml at least", out)
	}
	return out
}

// TestReadmeDocumentsWorkflows keeps the README's tables of each reusable
// workflow ("### pr.yml inputs", "### pr.yml secrets", "### pr.yml
// outputs", and the same for release.yml and rollback.yml) equal to the
// workflow's declarations, and checks that every input of action.yml is
// in the README.
func TestReadmeDocumentsWorkflows(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, f := range reusableWorkflows(t) {
		decl, _ := readReusable(t, f)
		base := filepath.Base(f)
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
		for name, cells := range table(t, readme, "### "+base+" inputs") {
			got[name] = strings.Trim(cells[0], "`")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("README's table \"### %s inputs\" differs from %s (-workflow +README):\n%s", base, f, diff)
		}
		if diff := cmp.Diff(sortedNames(decl.Secrets), sortedNames(table(t, readme, "### "+base+" secrets"))); diff != "" {
			t.Errorf("README's table \"### %s secrets\" differs from %s (-workflow +README):\n%s", base, f, diff)
		}
		if diff := cmp.Diff(sortedNames(decl.Outputs), sortedNames(table(t, readme, "### "+base+" outputs"))); diff != "" {
			t.Errorf("README's table \"### %s outputs\" differs from %s (-workflow +README):\n%s", base, f, diff)
		}
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

// scalar is the value of a scalar node, or "" for nil.
func scalar(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// stepsOf calls f for each step of each job of root.
func stepsOf(root *yaml.Node, f func(job string, step *yaml.Node)) {
	pairs(get(root, "jobs"), func(job, body *yaml.Node) {
		if steps := get(body, "steps"); steps != nil {
			for _, s := range steps.Content {
				f(job.Value, s)
			}
		}
	})
}

// runExpressionProblems lists every run: script that holds a ${{ }}: the
// runner pastes an expression's value into the script before bash reads
// it, so a branch name or a title could run as code. Values go through
// env: instead.
func runExpressionProblems(name string, root *yaml.Node) []string {
	var out []string
	stepsOf(root, func(job string, s *yaml.Node) {
		if run := get(s, "run"); run != nil && strings.Contains(run.Value, "${{") {
			out = append(out, fmt.Sprintf("%s:%d: job %s: a run: script holds ${{ }}; pass the value through the step's env: and read it as \"$NAME\"", name, run.Line, job))
		}
	})
	return out
}

func TestWorkflowRunScriptsTakeNoExpressions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{name: "through env", yaml: "jobs:\n  a:\n    steps:\n      - env:\n          TITLE: ${{ github.event.pull_request.title }}\n        run: echo \"$TITLE\"\n"},
		{name: "pasted", yaml: "jobs:\n  a:\n    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n",
			want: []string{`f.yml:4: job a: a run: script holds ${{ }}; pass the value through the step's env: and read it as "$NAME"`}},
	} {
		if diff := cmp.Diff(tc.want, runExpressionProblems("f.yml", parseYAML(t, "f.yml", []byte(tc.yaml)))); diff != "" {
			t.Errorf("%s: problems (-want +got):\n%s", tc.name, diff)
		}
	}
	for _, f := range workflowFiles(t) {
		for _, p := range runExpressionProblems(f, readYAML(t, f)) {
			t.Error(p)
		}
	}
}

// isShipgateAction says whether a step's uses: is the shipgate action
// (not one of its reusable workflows): checked out into .shipgate, this
// repository itself, or shipgate/shipgate@ref.
func isShipgateAction(uses string) bool {
	return uses == "./.shipgate" || uses == "./" || strings.HasPrefix(uses, "shipgate/shipgate@")
}

// TestWorkflowActionInputsAreDeclared checks every step that runs the
// shipgate action: it passes only inputs action.yml declares, and a stage
// shipgate has.
func TestWorkflowActionInputsAreDeclared(t *testing.T) {
	t.Parallel()
	var action struct {
		Inputs map[string]any `yaml:"inputs"`
	}
	if err := readYAML(t, "action.yml").Decode(&action); err != nil {
		t.Fatal(err)
	}
	steps := 0
	for _, f := range workflowFiles(t) {
		stepsOf(readYAML(t, f), func(job string, s *yaml.Node) {
			if !isShipgateAction(scalar(get(s, "uses"))) {
				return
			}
			steps++
			pairs(get(s, "with"), func(k, v *yaml.Node) {
				if _, ok := action.Inputs[k.Value]; !ok {
					t.Errorf("%s:%d: job %s passes input %s, which action.yml does not declare; it has %s", f, k.Line, job, k.Value, strings.Join(sortedNames(action.Inputs), ", "))
				}
				if k.Value != "stage" {
					return
				}
				if _, err := os.Stat(filepath.Join("internal", "stage", strings.ReplaceAll(v.Value, "-", ""))); err != nil {
					t.Errorf("%s:%d: job %s runs stage %q, which shipgate does not have (no internal/stage/%s)", f, v.Line, job, v.Value, strings.ReplaceAll(v.Value, "-", ""))
				}
			})
			if get(get(s, "with"), "stage") == nil {
				t.Errorf("%s:%d: job %s runs shipgate without a stage", f, s.Line, job)
			}
		})
	}
	if steps < 10 {
		t.Errorf("%d steps run the shipgate action; the workflows moved?", steps)
	}
}

// access levels of a permission.
var accessLevel = map[string]int{"none": 0, "read": 1, "write": 2}

// permissionsOf reads a permissions: node: a mapping, {}, read-all or
// write-all. ok is false when there is none.
func permissionsOf(n *yaml.Node) (perms map[string]int, all int, ok bool) {
	if n == nil {
		return nil, 0, false
	}
	perms = map[string]int{}
	switch n.Value {
	case "read-all":
		return perms, 1, true
	case "write-all":
		return perms, 2, true
	}
	pairs(n, func(k, v *yaml.Node) { perms[k.Value] = accessLevel[v.Value] })
	return perms, 0, true
}

// grantProblems lists what a job calling a reusable workflow does not
// grant of what the called workflow's jobs ask for: GitHub refuses to
// start such a run ("The nested job ... is requesting 'deployments:
// write', but is only allowed 'deployments: none'").
func grantProblems(name string, caller, called *yaml.Node) []string {
	var out []string
	top := get(caller, "permissions")
	pairs(get(caller, "jobs"), func(job, body *yaml.Node) {
		m := ourWorkflow.FindStringSubmatch(scalar(get(body, "uses")))
		if m == nil {
			return
		}
		granted, all, ok := permissionsOf(get(body, "permissions"))
		if !ok {
			granted, all, ok = permissionsOf(top)
		}
		if !ok {
			return // the repository's default token permissions
		}
		pairs(get(called, "jobs"), func(cjob, cbody *yaml.Node) {
			asked, _, _ := permissionsOf(get(cbody, "permissions"))
			for _, p := range sortedNames(asked) {
				if max(granted[p], all) < asked[p] {
					out = append(out, fmt.Sprintf("%s:%d: job %s calls %s, whose job %s asks for %s: %s; grant it in the job's (or the workflow's) permissions", name, body.Line, job.Value, m[1], cjob.Value, p, []string{"none", "read", "write"}[asked[p]]))
				}
			}
		})
	})
	return out
}

// TestWorkflowPermissions checks least privilege: every job of a reusable
// workflow declares its own permissions, and every caller grants what the
// called jobs ask for.
func TestWorkflowPermissions(t *testing.T) {
	t.Parallel()
	called := parseYAML(t, "called", []byte("jobs:\n  a:\n    permissions:\n      contents: read\n      deployments: write\n  b:\n    permissions: {}\n"))
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{name: "job grants", yaml: "permissions: {}\njobs:\n  r:\n    uses: ./.github/workflows/x.yml\n    permissions:\n      contents: write\n      deployments: write\n"},
		{name: "workflow grants", yaml: "permissions: write-all\njobs:\n  r:\n    uses: ./.github/workflows/x.yml\n"},
		{name: "default token", yaml: "jobs:\n  r:\n    uses: ./.github/workflows/x.yml\n"},
		{name: "too little", yaml: "permissions:\n  deployments: write\njobs:\n  r:\n    uses: ./.github/workflows/x.yml\n    permissions:\n      deployments: read\n",
			want: []string{
				"f.yml:5: job r calls .github/workflows/x.yml, whose job a asks for contents: read; grant it in the job's (or the workflow's) permissions",
				"f.yml:5: job r calls .github/workflows/x.yml, whose job a asks for deployments: write; grant it in the job's (or the workflow's) permissions",
			}},
	} {
		if diff := cmp.Diff(tc.want, grantProblems("f.yml", parseYAML(t, "f.yml", []byte(tc.yaml)), called)); diff != "" {
			t.Errorf("%s: problems (-want +got):\n%s", tc.name, diff)
		}
	}
	for _, w := range reusableWorkflows(t) {
		pairs(get(readYAML(t, w), "jobs"), func(job, body *yaml.Node) {
			if get(body, "permissions") == nil {
				t.Errorf("%s:%d: job %s declares no permissions; give it only what it needs", w, job.Line, job.Value)
			}
		})
	}
	for _, f := range workflowFiles(t) {
		root := readYAML(t, f)
		for _, w := range calledWorkflows(root) {
			for _, p := range grantProblems(f, root, readYAML(t, w)) {
				t.Error(p)
			}
		}
	}
}

// deployJob is the job of release.yml or rollback.yml that runs a stage
// against an environment.
type deployJob struct {
	file, job, stage string
	permissions      map[string]int
}

var deployJobs = []deployJob{
	{file: ".github/workflows/release.yml", job: "promote", stage: "promote",
		permissions: map[string]int{"contents": 1, "checks": 2, "deployments": 2, "pull-requests": 2, "actions": 1}},
	{file: ".github/workflows/rollback.yml", job: "rollback", stage: "rollback",
		permissions: map[string]int{"contents": 1, "checks": 2, "deployments": 2, "actions": 1}},
}

// TestDeployWorkflows checks what makes release.yml and rollback.yml safe
// to point at production: the job runs in the GitHub environment named by
// the input (its protection rules and secrets apply), one concurrency
// group per environment shared by both workflows and never
// cancel-in-progress (a cancelled promote rolls back), the stage told the
// same environment, and only the permissions the stage uses.
func TestDeployWorkflows(t *testing.T) {
	t.Parallel()
	groups := map[string]string{}
	for _, d := range deployJobs {
		job := get(get(readYAML(t, d.file), "jobs"), d.job)
		if job == nil {
			t.Fatalf("%s has no job %s", d.file, d.job)
		}
		env := get(job, "environment")
		if name := get(env, "name"); name != nil {
			env = name
		}
		if got := scalar(env); got != "${{ inputs.environment }}" {
			t.Errorf("%s: job %s runs in environment %q, want ${{ inputs.environment }}", d.file, d.job, got)
		}
		conc := get(job, "concurrency")
		group := scalar(get(conc, "group"))
		if !strings.Contains(group, "${{ inputs.environment }}") {
			t.Errorf("%s: job %s: concurrency group %q is not per environment", d.file, d.job, group)
		}
		groups[d.file] = group
		if c := get(conc, "cancel-in-progress"); c == nil || c.Tag != "!!bool" || c.Value != "false" {
			t.Errorf("%s: job %s: cancel-in-progress %q, want false: a cancelled promote rolls back", d.file, d.job, scalar(c))
		}
		perms, all, _ := permissionsOf(get(job, "permissions"))
		if diff := cmp.Diff(d.permissions, perms); diff != "" || all != 0 {
			t.Errorf("%s: job %s permissions (-want +got):\n%s", d.file, d.job, diff)
		}
		found := false
		for _, s := range get(job, "steps").Content {
			if !isShipgateAction(scalar(get(s, "uses"))) {
				continue
			}
			found = true
			with := get(s, "with")
			if got := scalar(get(with, "stage")); got != d.stage {
				t.Errorf("%s: job %s runs stage %q, want %s", d.file, d.job, got, d.stage)
			}
			if got := scalar(get(with, "environment")); got != "${{ inputs.environment }}" {
				t.Errorf("%s: job %s gives the stage environment %q, want the job's: ${{ inputs.environment }}", d.file, d.job, got)
			}
			if got := scalar(get(with, "kubeconfig")); got != "${{ secrets.kubeconfig }}" {
				t.Errorf("%s: job %s gives the stage kubeconfig %q, want the secret: ${{ secrets.kubeconfig }}", d.file, d.job, got)
			}
		}
		if !found {
			t.Errorf("%s: job %s does not run the shipgate action", d.file, d.job)
		}
	}
	if groups[deployJobs[0].file] != groups[deployJobs[1].file] {
		t.Errorf("concurrency groups %v differ: a promotion and a rollback of one environment must queue behind each other", groups)
	}
}

// TestWorkflowReportsUploaded checks that every job running the shipgate
// action uploads its report-dir as an artifact also when a step failed.
func TestWorkflowReportsUploaded(t *testing.T) {
	t.Parallel()
	for _, f := range append(reusableWorkflows(t), ".github/workflows/ci.yml") {
		pairs(get(readYAML(t, f), "jobs"), func(job, body *yaml.Node) {
			steps := get(body, "steps")
			if steps == nil {
				return
			}
			dirs, uploaded := map[string]bool{}, map[string]bool{}
			for _, s := range steps.Content {
				uses := scalar(get(s, "uses"))
				if isShipgateAction(uses) {
					dirs[strings.TrimSuffix(cmpOr(scalar(get(get(s, "with"), "report-dir")), "shipgate-report"), "/")] = true
				}
				if strings.HasPrefix(uses, "actions/upload-artifact@") && strings.HasPrefix(scalar(get(s, "if")), "always()") {
					uploaded[strings.TrimSuffix(scalar(get(get(s, "with"), "path")), "/")] = true
				}
			}
			for _, d := range sortedNames(dirs) {
				if !uploaded[d] {
					t.Errorf("%s: job %s writes reports to %s but uploads no artifact of it with if: always()", f, job.Value, d)
				}
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var (
	jobOutputRef  = regexp.MustCompile(`\bjobs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)`)
	stepOutputRef = regexp.MustCompile(`\bsteps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)`)
	needsRef      = regexp.MustCompile(`\bneeds\.([A-Za-z0-9_-]+)\.`)
)

// TestWorkflowOutputsWired checks that each reusable workflow's outputs
// read a job output the job declares, and that job outputs read steps of
// their own job and jobs they need: a typo there is an empty output, not
// an error, on GitHub.
func TestWorkflowOutputsWired(t *testing.T) {
	t.Parallel()
	var action struct {
		Outputs map[string]any `yaml:"outputs"`
	}
	if err := readYAML(t, "action.yml").Decode(&action); err != nil {
		t.Fatal(err)
	}
	for _, f := range reusableWorkflows(t) {
		root := readYAML(t, f)
		jobs := get(root, "jobs")
		pairs(get(get(get(root, "on"), "workflow_call"), "outputs"), func(name, out *yaml.Node) {
			value := scalar(get(out, "value"))
			refs := jobOutputRef.FindAllStringSubmatch(value, -1)
			if len(refs) == 0 {
				t.Errorf("%s: output %s = %q reads no job output", f, name.Value, value)
			}
			for _, r := range refs {
				if get(get(get(jobs, r[1]), "outputs"), r[2]) == nil {
					t.Errorf("%s: output %s reads jobs.%s.outputs.%s, which that job does not declare", f, name.Value, r[1], r[2])
				}
			}
		})
		pairs(jobs, func(job, body *yaml.Node) {
			ids, shipgateIDs := map[string]bool{}, map[string]bool{}
			if steps := get(body, "steps"); steps != nil {
				for _, s := range steps.Content {
					ids[scalar(get(s, "id"))] = true
					shipgateIDs[scalar(get(s, "id"))] = isShipgateAction(scalar(get(s, "uses")))
				}
			}
			needs := map[string]bool{}
			if n := get(body, "needs"); n != nil {
				needs[n.Value] = n.Kind == yaml.ScalarNode
				for _, c := range n.Content {
					needs[c.Value] = true
				}
			}
			pairs(get(body, "outputs"), func(name, v *yaml.Node) {
				for _, r := range stepOutputRef.FindAllStringSubmatch(v.Value, -1) {
					if !ids[r[1]] {
						t.Errorf("%s:%d: job %s: output %s reads step %s, which the job does not have", f, v.Line, job.Value, name.Value, r[1])
					}
					if _, ok := action.Outputs[r[2]]; shipgateIDs[r[1]] && !ok {
						t.Errorf("%s:%d: job %s: output %s reads shipgate's output %s, which action.yml does not declare", f, v.Line, job.Value, name.Value, r[2])
					}
				}
				for _, r := range needsRef.FindAllStringSubmatch(v.Value, -1) {
					if !needs[r[1]] {
						t.Errorf("%s:%d: job %s: output %s reads needs.%s, which the job does not need", f, v.Line, job.Value, name.Value, r[1])
					}
				}
			})
		})
	}
}

// TestWorkflowTemplates checks each starter template's properties file,
// which GitHub's "New workflow" page reads.
func TestWorkflowTemplates(t *testing.T) {
	t.Parallel()
	templates, err := filepath.Glob("workflows-templates/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(templates) < 4 {
		t.Fatalf("templates %v; want merge-check, pr, release and rollback", templates)
	}
	for _, f := range templates {
		p := strings.TrimSuffix(f, ".yml") + ".properties.json"
		data, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%s has no properties file: %v", f, err)
			continue
		}
		var props struct {
			Name        string   `json:"name"`
			Description string   `json:"description"`
			IconName    string   `json:"iconName"`
			Categories  []string `json:"categories"`
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&props); err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if props.Name == "" || props.Description == "" || props.IconName == "" || len(props.Categories) == 0 {
			t.Errorf("%s: %+v; want name, description, iconName and categories", p, props)
		}
	}
}

// templateExample returns a runner of a README example that is a starter
// template without its comments and name, on a repository whose default
// branch is main: the template is what actionlint and the tests above
// check, so the example is checked with it.
func templateExample(path string) func(t *testing.T, example string) {
	return func(t *testing.T, example string) {
		template, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var got, want map[string]any
		if err := yaml.Unmarshal([]byte(example), &got); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal([]byte(strings.ReplaceAll(string(template), "$default-branch", "main")), &want); err != nil {
			t.Fatal(err)
		}
		delete(want, "name")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the README's example differs from %s (-template +README):\n%s", path, diff)
		}
	}
}
