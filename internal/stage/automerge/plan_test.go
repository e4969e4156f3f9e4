package automerge

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/stage"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	gh, err := ghapi.New("https://api.github.com", "ghs_x", repoName)
	if err != nil {
		t.Fatal(err)
	}
	push := func(t *testing.T) *actionio.Event {
		data, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "events", "push.json"))
		if err != nil {
			t.Fatal(err)
		}
		var ev actionio.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatal(err)
		}
		ev.Name = "push"
		return &ev
	}
	tests := []struct {
		name  string
		event func(t *testing.T) *actionio.Event
		in    stage.Inputs
		noGH  bool
		want  plan
		errs  []string // each must appear in the error
	}{
		{name: "pull request, defaults", event: func(t *testing.T) *actionio.Event { return pullEvent(t, 2, tested) },
			want: plan{number: 2, tested: tested, method: ghapi.MethodMerge}},
		{name: "inputs", event: func(t *testing.T) *actionio.Event { return pullEvent(t, 2, moved) },
			in:   stage.Inputs{MergeMethod: "Squash", HeadSHA: tested, MergeToken: appToken},
			want: plan{number: 2, tested: tested, method: ghapi.MethodSquash, mergeToken: appToken}},
		{name: "pull_request_review", event: func(t *testing.T) *actionio.Event {
			ev := pullEvent(t, 3, tested)
			ev.Name = "pull_request_review"
			return ev
		}, want: plan{number: 3, tested: tested, method: ghapi.MethodMerge}},
		{name: "push", event: push, errs: []string{`auto-merge does not run on "push" events`, "pull_request, pull_request_target"}},
		{name: "no pull request in the payload", event: func(t *testing.T) *actionio.Event {
			ev := push(t)
			ev.Name = "pull_request"
			return ev
		}, errs: []string{"has no pull_request with number and head.sha"}},
		{name: "bad inputs, all reported", event: func(t *testing.T) *actionio.Event { return pullEvent(t, 2, tested) },
			in: stage.Inputs{MergeMethod: "fast-forward", HeadSHA: "ec26c3e"},
			errs: []string{`input merge-method: merge method "fast-forward" is not one of merge, squash, rebase`,
				`input head-sha "ec26c3e" is not a full commit SHA`}},
		{name: "outside Actions", errs: []string{"runs in GitHub Actions"}},
		{name: "no GitHub client", event: func(t *testing.T) *actionio.Event { return pullEvent(t, 2, tested) }, noGH: true,
			errs: []string{"input github-token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := &stage.Env{Inputs: tt.in, GitHub: gh}
			if tt.noGH {
				env.GitHub = nil
			}
			if tt.event != nil {
				env.Event = tt.event(t)
			}
			got, err := planFor(env)
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(plan{})); diff != "" {
					t.Errorf("plan (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.errs)
			}
			for _, e := range tt.errs {
				if !strings.Contains(err.Error(), e) {
					t.Errorf("error %q does not say %q", err, e)
				}
			}
			if (Stage{}).Validate(env) == nil {
				t.Error("Validate accepted what planFor refused")
			}
		})
	}
}
