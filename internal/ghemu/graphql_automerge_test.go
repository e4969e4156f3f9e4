package ghemu_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/ghemu"
)

var fixedNow = time.Date(2026, 5, 9, 12, 0, 0, 0, time.UTC)

func TestEnablePullRequestAutoMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		pull     ghemu.Pull
		disallow bool
		id, head string // default: the pull's node id and headSHA
		wantType string
		wantMsg  string // empty: enabled
	}{
		{name: "blocked: enabled", pull: ghemu.Pull{Mergeable: github.Bool(true), MergeableState: "blocked"}},
		{name: "behind: enabled", pull: ghemu.Pull{Mergeable: github.Bool(true), MergeableState: "behind"}},
		{name: "not computed yet: enabled", pull: ghemu.Pull{}},
		{name: "clean", pull: ghemu.Pull{Mergeable: github.Bool(true)},
			wantType: "UNPROCESSABLE", wantMsg: "Pull request Pull request is in clean status"},
		{name: "unstable", pull: ghemu.Pull{Mergeable: github.Bool(true), MergeableState: "unstable"},
			wantType: "UNPROCESSABLE", wantMsg: "Pull request Pull request is in unstable status"},
		{name: "auto-merge not allowed", pull: ghemu.Pull{MergeableState: "blocked"}, disallow: true,
			wantType: "UNPROCESSABLE", wantMsg: "Auto merge is not allowed for this repository"},
		{name: "closed", pull: ghemu.Pull{State: "closed"},
			wantType: "UNPROCESSABLE", wantMsg: "Pull request Pull request is closed"},
		{name: "draft", pull: ghemu.Pull{Draft: true},
			wantType: "UNPROCESSABLE", wantMsg: "Pull request Pull request is still a draft"},
		{name: "head moved", pull: ghemu.Pull{MergeableState: "blocked"}, head: baseSHA,
			wantType: "UNPROCESSABLE", wantMsg: "Head branch was modified. Review and try the merge again."},
		{name: "unknown id", pull: ghemu.Pull{}, id: "PR_nope",
			wantType: "NOT_FOUND", wantMsg: "Could not resolve to a node with the global id of 'PR_nope'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghemu.New(t, ghemu.WithClock(func() time.Time { return fixedNow }))
			tt.pull.Number, tt.pull.HeadSHA = 3, headSHA
			srv.AddPull(testRepo, tt.pull)
			srv.AllowAutoMerge(testRepo, !tt.disallow)
			pr, _, err := newClient(t, srv).PullRequests.Get(t.Context(), testOwner, testName, 3)
			if err != nil {
				t.Fatal(err)
			}
			id, head := pr.GetNodeID(), headSHA
			if tt.id != "" {
				id = tt.id
			}
			if tt.head != "" {
				head = tt.head
			}
			status, a := gql(t, srv, srv.Token(), enableMutation, map[string]any{"id": id, "method": "SQUASH", "head": head})
			if status != http.StatusOK {
				t.Fatalf("status %d, want 200 (GitHub answers refusals as data)", status)
			}
			am, enabled := srv.AutoMerge(testRepo, 3)
			if tt.wantMsg == "" {
				want := `{"enablePullRequestAutoMerge":{"pullRequest":{"autoMergeRequest":{"enabledAt":"2026-05-09T12:00:00Z","mergeMethod":"SQUASH"}}}}`
				if len(a.Errors) > 0 || string(a.Data) != want {
					t.Errorf("answer %s %+v, want %s", a.Data, a.Errors, want)
				}
				wantAM := ghemu.AutoMerge{EnabledAt: fixedNow, Method: "SQUASH", ExpectedHeadOID: headSHA, Token: srv.Token()}
				if diff := cmp.Diff(wantAM, am); !enabled || diff != "" {
					t.Errorf("auto-merge state (-want +got):\n%s", diff)
				}
				return
			}
			if enabled {
				t.Errorf("auto-merge was enabled although GitHub refused: %+v", am)
			}
			if len(a.Errors) != 1 {
				t.Fatalf("errors = %+v, want one", a.Errors)
			}
			got := a.Errors[0]
			if got.Type != tt.wantType || got.Message != tt.wantMsg || cmp.Diff([]any{"enablePullRequestAutoMerge"}, got.Path) != "" {
				t.Errorf("error = %+v, want %s %q at enablePullRequestAutoMerge", got, tt.wantType, tt.wantMsg)
			}
			if string(a.Data) != `{"enablePullRequestAutoMerge":null}` {
				t.Errorf("data = %s, want the mutation null", a.Data)
			}
		})
	}
}

func TestAutoMergeTokens(t *testing.T) {
	t.Parallel()
	const appToken = "ghs_app0000000000000000000000000000000000"
	srv := ghemu.New(t, ghemu.WithReadOnlyToken(), ghemu.WithExtraToken(appToken))
	srv.AddPull(testRepo, ghemu.Pull{Number: 5, HeadSHA: headSHA, MergeableState: "blocked"})
	srv.AllowAutoMerge(testRepo, true)
	// Reading the node id works with the read-only token.
	pr, _, err := newClient(t, srv).PullRequests.Get(t.Context(), testOwner, testName, 5)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{"id": pr.GetNodeID(), "method": "MERGE", "head": headSHA}
	if _, a := gql(t, srv, srv.Token(), enableMutation, vars); len(a.Errors) != 1 || a.Errors[0].Type != "FORBIDDEN" {
		t.Errorf("read-only token: errors %+v, want FORBIDDEN", a.Errors)
	}
	if _, a := gql(t, srv, appToken, enableMutation, vars); len(a.Errors) != 0 {
		t.Errorf("extra token: errors %+v, want none", a.Errors)
	}
	if am, ok := srv.AutoMerge(testRepo, 5); !ok || am.Token != appToken {
		t.Errorf("auto-merge = %+v, %v; want enabled with the extra token", am, ok)
	}
	var got []string
	for _, c := range srv.GraphQLCalls() {
		got = append(got, c.Token)
	}
	if diff := cmp.Diff([]string{srv.Token(), appToken}, got); diff != "" {
		t.Errorf("GraphQL call tokens (-want +got):\n%s", diff)
	}
	if n := len(srv.CallsWithToken(appToken)); n != 1 {
		t.Errorf("%d calls with the extra token, want 1", n)
	}
	if n := len(srv.CallsWithToken(srv.Token())); n != 2 {
		t.Errorf("%d calls with the token, want 2 (pulls/get and the refused mutation)", n)
	}
}
