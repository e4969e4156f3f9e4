package ghemu_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestEventPayloads checks that the committed webhook payloads
// (testdata/events) decode as the events they are named after, so stage
// tests can point GITHUB_EVENT_PATH at them.
func TestEventPayloads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, event string
		check       func(any) bool
	}{
		{"pull_request.opened.json", "pull_request", func(e any) bool {
			pr := e.(*github.PullRequestEvent)
			return pr.GetAction() == "opened" && pr.GetPullRequest().GetHead().GetSHA() != ""
		}},
		{"pull_request.synchronize.json", "pull_request", func(e any) bool {
			pr := e.(*github.PullRequestEvent)
			return pr.GetAction() == "synchronize" && pr.GetAfter() == pr.GetPullRequest().GetHead().GetSHA()
		}},
		{"merge_group.checks_requested.json", "merge_group", func(e any) bool {
			mg := e.(*github.MergeGroupEvent)
			return mg.GetAction() == "checks_requested" && mg.GetMergeGroup().GetHeadSHA() != ""
		}},
		{"push.json", "push", func(e any) bool {
			return e.(*github.PushEvent).GetRef() == "refs/heads/master"
		}},
		{"workflow_dispatch.json", "workflow_dispatch", func(e any) bool {
			return e.(*github.WorkflowDispatchEvent).GetRef() == "refs/heads/main"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			payload, err := os.ReadFile(filepath.Join("..", "..", "testdata", "events", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			event, err := github.ParseWebHook(tt.event, payload)
			if err != nil {
				t.Fatalf("ParseWebHook(%s): %v", tt.event, err)
			}
			if !tt.check(event) {
				t.Errorf("%s does not look like a %s event: %+v", tt.file, tt.event, event)
			}
		})
	}
}
