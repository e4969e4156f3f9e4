package main_test

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// untrustedField is what OpenSSF Scorecard's Dangerous-Workflow check
// calls attacker-controlled (checks/raw/dangerous_workflow.go), plus the
// workflow_run, discussion and release fields of the same kind: text the
// author of an issue, a pull request, a commit or a branch chooses.
var untrustedField = regexp.MustCompile(`github\.head_ref\b|github\.event\.(` + strings.Join([]string{
	`issue\.(title|body)`, `pull_request\.(title|body)`, `comment\.body`, `review\.body`, `review_comment\.body`,
	`pages.*\.page_name`, `commits.*\.message`, `head_commit\.message`, `head_commit\.(author|committer)\.(email|name)`,
	`commits.*\.(author|committer)\.(email|name)`, `pull_request\.head\.(ref|label)`, `pull_request\.head\.repo\.default_branch`,
	`workflow_run\.(head_branch|display_title|head_commit\.(message|author\.(email|name)))`, `workflow_run\.pull_requests.*\.head\.ref`,
	`discussion\.(title|body)`, `release\.(name|body)`,
}, "|") + `)\b`)

// expression is one ${{ }} in a string.
var expression = regexp.MustCompile(`\$\{\{(.*?)\}\}`)

// untrustedCheckout is a checkout ref naming the pull request's or the
// triggering run's head: code of a fork run with the base's secrets.
var untrustedCheckout = regexp.MustCompile(`github\.event\.(pull_request\.head|workflow_run\.head)|github\.head_ref`)

// privileged events run with the base repository's token and secrets
// whatever the pull request's author wrote.
var privileged = []string{"pull_request_target", "workflow_run"}

// shipgateAction is a step running the shipgate action: a checkout of it
// in .shipgate, or shipgate/shipgate[/path]@ref.
var shipgateAction = regexp.MustCompile(`^(\./\.shipgate(/.*)?|shipgate/shipgate(/[^@]*)?@.+)$`)

// actionImageStep makes the next shipgate steps run a prebuilt image.
const actionImageStep = "./.shipgate/.github/actions/action-image"

// supplyChain checks a workflow the way OpenSSF Scorecard checks workflows
// (Pinned-Dependencies, Token-Permissions, Dangerous-Workflow), plus the
// rule of this project that the action is never built in a user's run.
type supplyChain struct {
	// root is this repository: shipgate/shipgate/<path>@ref and the
	// .shipgate checkout resolve to its action.yml files.
	root string
}

// problems lists the findings of the workflow in src, as file:line:
// message lines. A user's run is a reusable workflow or a starter
// template: it runs in the caller's repository.
func (c supplyChain) problems(name string, src []byte) []string {
	w, errs := actionlint.Parse(src)
	if len(errs) > 0 {
		return []string{fmt.Sprintf("%s:%d: actionlint cannot parse it: %s", name, errs[0].Line, errs[0].Message)}
	}
	var out []string
	add := func(pos *actionlint.Pos, format string, args ...any) {
		line := 1 // the workflow as a whole
		if pos != nil {
			line = pos.Line
		}
		out = append(out, fmt.Sprintf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
	}
	_, reusable := w.FindWorkflowCallEvent()
	userRun := reusable || strings.HasPrefix(filepath.ToSlash(name), "workflows-templates/")
	var events []string
	for _, e := range w.On {
		events = append(events, e.EventName())
	}

	// Token-Permissions: nothing written unless a job asks for it.
	switch p := w.Permissions; {
	case p == nil:
		add(nil, "no workflow-level permissions: every job gets the repository's default token, which may write everything; add permissions: {} (or contents: read) and grant writes per job")
	case p.All != nil && p.All.Value != "read-all":
		add(p.Pos, "workflow-level permissions: %s; make it {} or read-only and grant writes per job", p.All.Value)
	default:
		for _, s := range sortedScopes(p) {
			if s.Value.Value != "read" && s.Value.Value != "none" {
				add(s.Name.Pos, "workflow-level permissions grant %s: %s to every job; grant it in the jobs that need it", s.Name.Value, s.Value.Value)
			}
		}
	}

	for _, id := range sortedJobs(w) {
		job := w.Jobs[id]
		if p := job.Permissions; p != nil && p.All != nil && p.All.Value == "write-all" {
			add(p.Pos, "job %s: permissions: write-all; list the scopes it writes", id)
		}
		if call := job.WorkflowCall; call != nil && call.Uses != nil {
			if msg := c.pinProblem(call.Uses.Value); msg != "" {
				add(call.Uses.Pos, "job %s: %s", id, msg)
			}
		}
		guarded, underTest := false, false
		for _, s := range job.Steps {
			switch e := s.Exec.(type) {
			case *actionlint.ExecRun:
				if e.Run == nil {
					continue
				}
				for _, f := range untrustedExpressions(e.Run.Value) {
					add(e.Run.Pos, "job %s: the run: script pastes ${{ %s }}, text an attacker chooses, into the shell; pass it through the step's env: and read it as \"$NAME\"", id, f)
				}
				if userRun && strings.Contains(e.Run.Value, ".shipgate") && regexp.MustCompile(`docker\s+(buildx\s+)?build\b`).MatchString(e.Run.Value) {
					add(e.Run.Pos, "job %s: builds the shipgate image in a user's run; run a release's prebuilt image", id)
				}
			case *actionlint.ExecAction:
				uses := e.Uses.Value
				if msg := c.pinProblem(uses); msg != "" {
					add(e.Uses.Pos, "job %s: %s", id, msg)
				}
				if strings.HasPrefix(uses, "actions/github-script@") {
					if in, ok := e.Inputs["script"]; ok && in.Value != nil {
						for _, f := range untrustedExpressions(in.Value.Value) {
							add(in.Value.Pos, "job %s: the github-script script pastes ${{ %s }} into JavaScript; pass it through env: and read process.env", id, f)
						}
					}
				}
				if strings.HasPrefix(uses, "actions/checkout@") && slices.ContainsFunc(events, func(ev string) bool { return slices.Contains(privileged, ev) }) {
					if in, ok := e.Inputs["ref"]; ok && in.Value != nil && untrustedCheckout.MatchString(in.Value.Value) {
						add(in.Value.Pos, "job %s: checks out %s on %s, running a pull request's code with the base repository's token and secrets", id, in.Value.Value, strings.Join(events, ", "))
					}
				}
				if strings.HasPrefix(uses, "docker/build-push-action@") && userRun {
					for _, k := range []string{"context", "file"} {
						if in, ok := e.Inputs[k]; ok && in.Value != nil && strings.HasPrefix(strings.TrimPrefix(in.Value.Value, "./"), ".shipgate") {
							add(in.Value.Pos, "job %s: builds the shipgate image (%s: %s) in a user's run; run a release's prebuilt image", id, k, in.Value.Value)
						}
					}
				}
				switch {
				case uses == actionImageStep || uses == "./.github/actions/action-image":
					guarded = true
					in, ok := e.Inputs["artifact"]
					underTest = ok && in.Value != nil && in.Value.Value != ""
				case shipgateAction.MatchString(uses):
					if image, err := c.actionImage(uses); err != nil {
						add(e.Uses.Pos, "job %s: %s: %v", id, uses, err)
					} else if userRun && image != "" && !strings.HasPrefix(image, "docker://") {
						add(e.Uses.Pos, "job %s: %s builds its image from %s in every job of a user's run; its action.yml must run a prebuilt docker:// image", id, uses, image)
					}
					if strings.HasPrefix(uses, "./.shipgate") && !guarded {
						add(e.Uses.Pos, "job %s: runs %s without the %s step after its checkout; a shipgate-ref from before prebuilt images would build the image", id, uses, actionImageStep)
					}
				case uses == "./" && !userRun && !underTest:
					add(e.Uses.Pos, "job %s: runs this repository's action without ./.github/actions/action-image and an artifact before it: it would run the last release's image, not the commit under test", id)
				}
			}
		}
	}
	return out
}

// pinProblem says why a uses: of another repository's action or workflow
// is not pinned, or "" when it is (or is local, or shipgate itself).
func (c supplyChain) pinProblem(uses string) string {
	switch {
	case strings.HasPrefix(uses, "./"), shipgateAction.MatchString(uses):
		return ""
	case strings.HasPrefix(uses, "docker://"):
		if !strings.Contains(uses, "@sha256:") {
			return fmt.Sprintf("uses: %s is not pinned; pin the image's digest: %s@sha256:<64 hex digits>", uses, uses)
		}
		return ""
	case !pinnedRef.MatchString(uses):
		return fmt.Sprintf("uses: %s is not pinned; pin a full commit SHA: %s@<40 hex digits> # vX.Y.Z", uses, strings.SplitN(uses, "@", 2)[0])
	}
	return ""
}

// actionImage reads runs.image of the action.yml a shipgate uses: names
// in this repository ("" for an action that runs no container).
func (c supplyChain) actionImage(uses string) (string, error) {
	dir := ""
	switch {
	case strings.HasPrefix(uses, "./.shipgate"):
		dir = strings.TrimPrefix(strings.TrimPrefix(uses, "./.shipgate"), "/")
	default:
		dir = strings.TrimPrefix(strings.SplitN(uses, "@", 2)[0], "shipgate/shipgate")
		dir = strings.TrimPrefix(dir, "/")
	}
	data, err := os.ReadFile(filepath.Join(c.root, dir, "action.yml"))
	if err != nil {
		return "", fmt.Errorf("no action.yml in this repository at %q", dir)
	}
	var a struct {
		Runs struct{ Using, Image string } `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		return "", fmt.Errorf("%s/action.yml: %w", dir, err)
	}
	if a.Runs.Using != "docker" {
		return "", nil
	}
	return a.Runs.Image, nil
}

// untrustedExpressions returns each expression in s that reads an
// attacker-controlled field.
func untrustedExpressions(s string) []string {
	var out []string
	for _, m := range expression.FindAllStringSubmatch(s, -1) {
		if untrustedField.MatchString(m[1]) {
			out = append(out, strings.TrimSpace(m[1]))
		}
	}
	return out
}

func sortedJobs(w *actionlint.Workflow) []string {
	ids := make([]string, 0, len(w.Jobs))
	for id := range w.Jobs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func sortedScopes(p *actionlint.Permissions) []*actionlint.PermissionScope {
	var out []*actionlint.PermissionScope
	for _, k := range sortedNames(p.Scopes) {
		out = append(out, p.Scopes[k])
	}
	return out
}

// TestWorkflowSupplyChain runs the checks on each bad example in
// testdata/workflows (its findings must equal the .out golden file, and
// there must be some), then on every workflow and starter template of the
// repository, which must have none.
func TestWorkflowSupplyChain(t *testing.T) {
	t.Parallel()
	c := supplyChain{root: "."}
	bad, err := filepath.Glob("testdata/workflows/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) < 6 {
		t.Fatalf("found %d bad examples in testdata/workflows; want one per rule", len(bad))
	}
	for _, f := range bad {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// Examples under workflows-templates/ are the starter kind.
			name := filepath.ToSlash(f)
			if strings.HasPrefix(filepath.Base(f), "template-") {
				name = "workflows-templates/" + filepath.Base(f)
			}
			got := strings.Join(c.problems(name, src), "\n") + "\n"
			golden := strings.TrimSuffix(f, ".yml") + ".out"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got == "\n" {
				t.Errorf("%s passes every check; a bad example must fail one", f)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("findings (-%s +got):\n%s", golden, diff)
			}
		})
	}
	files := append(workflowFiles(t), "testdata/workflows/good.yaml")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.problems(f, src) {
			t.Error(p)
		}
	}
}

// TestActionlint lints every workflow and starter template with
// actionlint, as .ci/run does, so go test alone catches what it finds
// (the local actions the workflows use are checked through them).
func TestActionlint(t *testing.T) {
	t.Parallel()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The linter is wired: it finds the pasted pull request title.
	errs, err := l.LintFiles([]string{"testdata/workflows/injection.yml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(errs, func(e *actionlint.Error) bool { return strings.Contains(e.Message, "potentially untrusted") }) {
		t.Errorf("actionlint found nothing untrusted in testdata/workflows/injection.yml: %v", errs)
	}
	errs, err = l.LintFiles(workflowFiles(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("%s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
	}
}

// TestCompositeActionsPassInputsThroughEnv: the run scripts of this
// repository's composite actions read no expression of an untrusted field
// and no input (a caller's text) directly; they go through env: as in the
// workflows.
func TestCompositeActionsPassInputsThroughEnv(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(".github/actions/*/action.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no composite action found (%v)", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var action struct {
			Runs struct {
				Steps []struct {
					ID  string `yaml:"id"`
					Run string `yaml:"run"`
				} `yaml:"steps"`
			} `yaml:"runs"`
		}
		if err := yaml.Unmarshal(data, &action); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i, st := range action.Runs.Steps {
			for _, m := range expression.FindAllStringSubmatch(st.Run, -1) {
				if untrustedField.MatchString(m[1]) || strings.Contains(m[1], "inputs.") {
					t.Errorf("%s: steps[%d] (%s) reads ${{%s}} in its script; pass it through env:", f, i, st.ID, m[1])
				}
			}
		}
	}
}
