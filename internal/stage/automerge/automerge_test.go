package automerge

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/stage"
)

const mergePath = "/repos/{owner}/{repo}/pulls/{pull_number}/merge"

func TestAutoMerge(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	tests := []struct {
		name     string
		pull     ghemu.Pull // Number 7; HeadSHA tested unless set
		allow    bool       // the repository's "Allow auto-merge"
		readOnly bool       // the GitHub token may only read
		appToken bool       // the emulator also accepts appToken
		in       stage.Inputs
		eventSHA string // default tested
		faults   []ghemu.FaultRule
		// before runs just before the stage's merge request reaches GitHub.
		beforeMerge func(srv *ghemu.Server)
		want        map[string]string // outputs; merge-sha "MERGED" is the emulator's merge commit
		failed      bool
		say         []string // in the report
		// calls are the operations sent with the merge token (or the
		// GitHub token without one), in order.
		calls []string
		check func(t *testing.T, srv *ghemu.Server, r run)
	}{
		{
			name: "auto-merge enabled", pull: ghemu.Pull{Mergeable: &yes, MergeableState: "blocked"}, allow: true,
			in:    stage.Inputs{MergeMethod: "squash"},
			want:  map[string]string{"merged": "false", "auto-merge": "enabled", "merge-sha": ""},
			say:   []string{"Auto-merge (squash) enabled", "The merge will not start push workflows"},
			calls: []string{"pulls/get", "graphql/enablePullRequestAutoMerge"},
			check: func(t *testing.T, srv *ghemu.Server, r run) {
				am, ok := srv.AutoMerge(repoName, 7)
				want := ghemu.AutoMerge{EnabledAt: fixedNow, Method: "SQUASH", ExpectedHeadOID: tested, Token: srv.Token()}
				if diff := cmp.Diff(want, am); !ok || diff != "" {
					t.Errorf("auto-merge (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "clean status merges the tested commit", pull: ghemu.Pull{Mergeable: &yes}, allow: true,
			want:  map[string]string{"merged": "true", "auto-merge": "not-needed", "merge-sha": "MERGED"},
			say:   []string{"Merged ec26c3e57ca3 into main (merge)"},
			calls: []string{"pulls/get", "graphql/enablePullRequestAutoMerge", "pulls/merge"},
		},
		{
			name: "auto-merge off but clean merges directly", pull: ghemu.Pull{Mergeable: &yes},
			want:  map[string]string{"merged": "true", "auto-merge": "not-needed", "merge-sha": "MERGED"},
			calls: []string{"pulls/get", "graphql/enablePullRequestAutoMerge", "pulls/merge"},
		},
		{
			name: "auto-merge not allowed", pull: ghemu.Pull{Mergeable: &yes, MergeableState: "blocked"},
			want:   map[string]string{"merged": "false", "auto-merge": "refused", "merge-sha": ""},
			failed: true,
			say:    []string{`GitHub refused auto-merge ("Auto merge is not allowed for this repository")`, `turn on "Allow auto-merge"`, "allow_auto_merge=true"},
			calls:  []string{"pulls/get", "graphql/enablePullRequestAutoMerge"},
		},
		{
			name: "head moved after the gates", pull: ghemu.Pull{HeadSHA: moved, Mergeable: &yes}, allow: true,
			want:   map[string]string{"merged": "false", "auto-merge": "not-attempted", "merge-sha": ""},
			failed: true,
			say:    []string{"tested ec26c3e57ca3, head is now 3a1f0c9d2b7e", "the new commit gets its own run"},
			calls:  []string{"pulls/get"},
		},
		{
			name: "head-sha input wins over the event", pull: ghemu.Pull{MergeableState: "behind"}, allow: true,
			in: stage.Inputs{HeadSHA: tested}, eventSHA: moved,
			want:  map[string]string{"merged": "false", "auto-merge": "enabled", "merge-sha": ""},
			calls: []string{"pulls/get", "graphql/enablePullRequestAutoMerge"},
			check: func(t *testing.T, srv *ghemu.Server, r run) {
				if am, _ := srv.AutoMerge(repoName, 7); am.ExpectedHeadOID != tested {
					t.Errorf("expectedHeadOid = %q, want the head-sha input %s", am.ExpectedHeadOID, tested)
				}
			},
		},
		{
			name: "409 the head moved during the merge", pull: ghemu.Pull{Mergeable: &yes}, allow: true,
			beforeMerge: func(srv *ghemu.Server) {
				srv.UpdatePull(repoName, 7, func(p *ghemu.Pull) { p.HeadSHA = moved })
			},
			want:   map[string]string{"merged": "false", "auto-merge": "refused", "merge-sha": ""},
			failed: true,
			say:    []string{`refused to merge PR #7 at the tested commit ec26c3e57ca3 ("Head branch was modified. Review and try the merge again.")`},
			calls:  []string{"pulls/get", "graphql/enablePullRequestAutoMerge", "pulls/merge"},
		},
		{
			name: "405 not mergeable", pull: ghemu.Pull{Mergeable: &yes}, allow: true,
			beforeMerge: func(srv *ghemu.Server) {
				srv.UpdatePull(repoName, 7, func(p *ghemu.Pull) { p.Mergeable = &no })
			},
			want:   map[string]string{"merged": "false", "auto-merge": "refused", "merge-sha": ""},
			failed: true,
			say:    []string{`("Pull Request is not mergeable"; merge state clean)`, "Resolve conflicts"},
			calls:  []string{"pulls/get", "graphql/enablePullRequestAutoMerge", "pulls/merge", "pulls/get"},
		},
		{
			name: "a merge that went through before a 405 counts", pull: ghemu.Pull{Mergeable: &yes}, allow: true,
			beforeMerge: func(srv *ghemu.Server) {
				srv.UpdatePull(repoName, 7, func(p *ghemu.Pull) { p.Merged, p.MergeCommitSHA = true, moved })
			},
			want:  map[string]string{"merged": "true", "auto-merge": "not-needed", "merge-sha": moved},
			calls: []string{"pulls/get", "graphql/enablePullRequestAutoMerge", "pulls/merge", "pulls/get"},
		},
		{
			name: "merge-token enables auto-merge", pull: ghemu.Pull{Mergeable: &yes, MergeableState: "blocked"}, allow: true,
			appToken: true, readOnly: true,
			in:   stage.Inputs{MergeToken: appToken},
			want: map[string]string{"merged": "false", "auto-merge": "enabled", "merge-sha": ""},
			// The read-only GITHUB_TOKEN reads; the App token writes.
			calls: []string{"graphql/enablePullRequestAutoMerge"},
			check: func(t *testing.T, srv *ghemu.Server, r run) {
				if am, _ := srv.AutoMerge(repoName, 7); am.Token != appToken {
					t.Errorf("auto-merge enabled with %q, want the merge token", am.Token)
				}
			},
		},
		{
			name: "merge-token merges", pull: ghemu.Pull{Mergeable: &yes}, allow: true,
			appToken: true,
			in:       stage.Inputs{MergeToken: appToken, MergeMethod: "rebase"},
			want:     map[string]string{"merged": "true", "auto-merge": "not-needed", "merge-sha": "MERGED"},
			calls:    []string{"graphql/enablePullRequestAutoMerge", "pulls/merge"},
		},
		{
			name: "server errors are retried", pull: ghemu.Pull{Mergeable: &yes}, allow: true,
			faults: []ghemu.FaultRule{ghemu.ServerError(http.MethodPost, ghemu.GraphQLPath, 1), ghemu.ServerError(http.MethodPut, mergePath, 2)},
			want:   map[string]string{"merged": "true", "auto-merge": "not-needed", "merge-sha": "MERGED"},
			calls: []string{"pulls/get", "graphql/enablePullRequestAutoMerge", "graphql/enablePullRequestAutoMerge",
				"pulls/merge", "pulls/merge", "pulls/merge"},
		},
		{
			name: "already merged", pull: ghemu.Pull{Merged: true, MergeCommitSHA: moved}, allow: true,
			want:  map[string]string{"merged": "true", "auto-merge": "not-needed", "merge-sha": moved},
			calls: []string{"pulls/get"},
		},
		{
			name: "closed", pull: ghemu.Pull{State: "closed"}, allow: true,
			want: map[string]string{"merged": "false", "auto-merge": "not-attempted", "merge-sha": ""}, failed: true,
			calls: []string{"pulls/get"},
		},
		{
			name: "draft", pull: ghemu.Pull{Draft: true}, allow: true,
			want: map[string]string{"merged": "false", "auto-merge": "not-attempted", "merge-sha": ""}, failed: true,
			say:   []string{"Mark PR #7 ready for review"},
			calls: []string{"pulls/get"},
		},
		{
			name: "token may not merge", pull: ghemu.Pull{Mergeable: &yes, MergeableState: "blocked"}, allow: true,
			readOnly: true,
			want:     map[string]string{"merged": "false", "auto-merge": "refused", "merge-sha": ""}, failed: true,
			say:   []string{"Resource not accessible by integration", "pull-requests: write"},
			calls: []string{"pulls/get", "graphql/enablePullRequestAutoMerge"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := []ghemu.Option{ghemu.WithClock(clock)}
			if tt.readOnly {
				opts = append(opts, ghemu.WithReadOnlyToken())
			}
			if tt.appToken {
				opts = append(opts, ghemu.WithExtraToken(appToken))
			}
			srv := ghemu.New(t, opts...)
			tt.pull.Number = 7
			if tt.pull.HeadSHA == "" {
				tt.pull.HeadSHA = tested
			}
			srv.AddPull(repoName, tt.pull)
			srv.AllowAutoMerge(repoName, tt.allow)
			srv.Fail(tt.faults...)
			h := &hook{before: map[string]func(){}}
			if tt.beforeMerge != nil {
				h.before["PUT /merge"] = func() { tt.beforeMerge(srv) }
			}
			sha := tt.eventSHA
			if sha == "" {
				sha = tested
			}
			r := runStage(t, srv, pullEvent(t, 7, sha), tt.in, h)
			if r.err != nil {
				t.Fatalf("stage error: %v\nlog:\n%s", r.err, r.log)
			}
			if len(r.targets) != 1 || r.targets[0].Result.Failed() != tt.failed {
				t.Fatalf("targets %+v, want one that failed=%t", r.targets, tt.failed)
			}
			checkRunReported(t, srv, r, tt.readOnly, tt.failed)
			md := report.Markdown(r.targets, 1<<20, "")
			golden(t, strings.ReplaceAll(tt.name, " ", "-"), md)
			for _, s := range tt.say {
				if !strings.Contains(md, s) {
					t.Errorf("report does not say %q:\n%s", s, md)
				}
			}

			merges := srv.Merges()
			want := maps(tt.want)
			if want["merge-sha"] == "MERGED" {
				if len(merges) != 1 {
					t.Fatalf("merges = %+v, want one", merges)
				}
				want["merge-sha"] = merges[0].MergeCommitSHA
			}
			if diff := cmp.Diff(want, r.outputs); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			// Every merge is of the tested commit, asked for by its SHA.
			for _, m := range merges {
				if m.HeadSHA != tested || m.Number != 7 {
					t.Errorf("merged %+v, want PR #7 at the tested %s", m, tested)
				}
			}
			for _, b := range h.bodies {
				var body struct {
					SHA string `json:"sha"`
				}
				if err := json.Unmarshal([]byte(b), &body); err != nil || body.SHA != tested {
					t.Errorf("merge request %s, want sha %s", b, tested)
				}
			}
			if tt.want["merge-sha"] != "MERGED" && len(merges) != 0 {
				t.Errorf("merged %+v, want nothing merged by the stage", merges)
			}

			token := srv.Token()
			if tt.in.MergeToken != "" {
				token = tt.in.MergeToken
			}
			var ops []string
			for _, c := range srv.CallsWithToken(token) {
				if !strings.HasPrefix(c.Operation, "checks/") {
					ops = append(ops, c.Operation)
				}
			}
			if diff := cmp.Diff(tt.calls, ops); diff != "" {
				t.Errorf("calls with the merging token (-want +got):\n%s", diff)
			}
			if tt.check != nil {
				tt.check(t, srv, r)
			}
		})
	}
}

// checkRunReported checks the result went to a check run on the tested
// commit, or, when the token may not write check runs, to the log.
func checkRunReported(t *testing.T, srv *ghemu.Server, r run, readOnly, failed bool) {
	t.Helper()
	runs := srv.CheckRuns(repoName)
	if readOnly {
		if len(runs) != 0 || !strings.Contains(r.log, "The token may not write check runs") {
			t.Errorf("read-only token: %d check runs, log:\n%s\nwant none and the fallback explained", len(runs), r.log)
		}
		return
	}
	want := map[bool]string{true: "failure", false: "success"}[failed]
	if len(runs) != 1 || runs[0].Name != CheckRunName || runs[0].HeadSHA != tested || runs[0].Conclusion != want {
		t.Errorf("check runs = %+v, want one %q on %s concluded %s", runs, CheckRunName, tested, want)
	}
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
