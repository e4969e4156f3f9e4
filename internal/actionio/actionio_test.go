package actionio

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/result"
)

func runtime(t *testing.T, env map[string]string) (*Runtime, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	return New(func(k string) string { return env[k] }, &out), &out
}

func TestAnnotate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    result.Finding
		want string
	}{
		{
			name: "failure with column",
			f:    result.Finding{Level: result.Failure, Path: "deploy/a.yaml", Line: 3, Column: 5, Title: "Bad", Message: "fix it"},
			want: "::error col=5,file=deploy/a.yaml,line=3,title=Bad::fix it\n",
		},
		{
			name: "range drops columns",
			f:    result.Finding{Level: result.Warning, Path: "a.yaml", Line: 3, EndLine: 6, Column: 2, Title: "T", Message: "m"},
			want: "::warning endLine=6,file=a.yaml,line=3,title=T::m\n",
		},
		{
			name: "notice escapes",
			f:    result.Finding{Level: result.Notice, Path: "a,b.yaml", Line: 1, Title: "x: y", Message: "100% sure\nsecond"},
			want: "::notice file=a%2Cb.yaml,line=1,title=x%3A y::100%25 sure%0Asecond\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt, out := runtime(t, map[string]string{"GITHUB_ACTIONS": "true"})
			rt.Annotate(tc.f)
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("Annotate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnnotateOutsideActions(t *testing.T) {
	t.Parallel()
	rt, out := runtime(t, nil)
	rt.Annotate(result.Finding{Level: result.Failure, Path: "a.yaml", Line: 2, Title: "Bad", Message: "fix"})
	if got, want := out.String(), "a.yaml:2: failure: Bad: fix\n"; got != want {
		t.Errorf("Annotate() = %q, want %q", got, want)
	}
}

func TestMaskEachLine(t *testing.T) {
	t.Parallel()
	rt, out := runtime(t, map[string]string{"GITHUB_ACTIONS": "true"})
	rt.Mask("line-one\n  line-two  \n\n")
	if got, want := out.String(), "::add-mask::line-one\n::add-mask::line-two\n"; got != want {
		t.Errorf("Mask() wrote %q, want %q", got, want)
	}
}

func TestOutputsAndSummary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outFile, sumFile := filepath.Join(dir, "out"), filepath.Join(dir, "sum")
	rt, _ := runtime(t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outFile, "GITHUB_STEP_SUMMARY": sumFile})
	if err := rt.SetOutput("result", "success"); err != nil {
		t.Fatal(err)
	}
	if err := rt.AppendSummary("### hi"); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(outFile)
	if !strings.HasPrefix(string(out), "result<<") || !strings.Contains(string(out), "\nsuccess\n") {
		t.Errorf("GITHUB_OUTPUT = %q", out)
	}
	if sum, _ := os.ReadFile(sumFile); string(sum) != "### hi\n" {
		t.Errorf("GITHUB_STEP_SUMMARY = %q", sum)
	}

	broken, _ := runtime(t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(dir, "missing", "out")})
	if err := broken.SetOutput("result", "x"); err == nil || !strings.Contains(err.Error(), "set output result") {
		t.Errorf("SetOutput() into a missing directory: error = %v, want one naming the output", err)
	}
	unset, _ := runtime(t, map[string]string{"GITHUB_ACTIONS": "true"})
	if err := unset.SetOutput("result", "x"); err == nil || !strings.Contains(err.Error(), "GITHUB_OUTPUT is not set") {
		t.Errorf("SetOutput() without GITHUB_OUTPUT: error = %v", err)
	}
}

func TestEvent(t *testing.T) {
	t.Parallel()
	p := filepath.Join("..", "..", "testdata", "events", "pull_request.opened.json")
	rt, _ := runtime(t, map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": p})
	ev, err := rt.Event()
	if err != nil {
		t.Fatal(err)
	}
	if ev.Name != "pull_request" || ev.PullRequest == nil || ev.PullRequest.Number == 0 || len(ev.PullRequest.Head.SHA) != 40 || ev.PullRequest.Base.Ref == "" {
		t.Errorf("Event() = %+v, pull request %+v", ev, ev.PullRequest)
	}
	missing, _ := runtime(t, map[string]string{"GITHUB_EVENT_NAME": "push"})
	if _, err := missing.Event(); err == nil || !strings.Contains(err.Error(), "GITHUB_EVENT_PATH") {
		t.Errorf("Event() without a path: error = %v", err)
	}
}

func TestState(t *testing.T) {
	t.Parallel()
	stateFile := filepath.Join(t.TempDir(), "state")
	rt, _ := runtime(t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STATE": stateFile, "STATE_handles": `[{"provider":"kind"}]`})
	if err := rt.SaveState("handles", `[{"provider":"existing"}]`); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(stateFile); !strings.HasPrefix(string(got), "handles<<") || !strings.Contains(string(got), `[{"provider":"existing"}]`) {
		t.Errorf("GITHUB_STATE = %q", got)
	}
	if got := rt.State("handles"); got != `[{"provider":"kind"}]` {
		t.Errorf("State() = %q", got)
	}
	unset, _ := runtime(t, map[string]string{"GITHUB_ACTIONS": "true"})
	if err := unset.SaveState("handles", "x"); err == nil || !strings.Contains(err.Error(), "GITHUB_STATE is not set") {
		t.Errorf("SaveState() without GITHUB_STATE: error = %v", err)
	}
	cli, _ := runtime(t, map[string]string{})
	if err := cli.SaveState("handles", "x"); err != nil {
		t.Errorf("SaveState() outside Actions: %v", err)
	}
}
