package ghemu_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/ghemu"
)

func TestGetPull(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddPull(testRepo, ghemu.Pull{Number: 2, HeadRef: "changes", HeadSHA: headSHA, BaseSHA: baseSHA, Mergeable: github.Bool(true)})
	pr, _, err := newClient(t, srv).PullRequests.Get(t.Context(), testOwner, testName, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{pr.GetNumber(), pr.GetState(), pr.GetHead().GetSHA(), pr.GetHead().GetRef(), pr.GetBase().GetSHA(),
		pr.GetBase().GetRef(), pr.GetBase().GetRepo().GetFullName(), pr.GetMergeable(), pr.GetMergeableState()}
	want := []any{2, "open", headSHA, "changes", baseSHA, "main", testRepo, true, "clean"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pull request (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(pr.GetURL(), srv.URL()+"/repos/"+testRepo+"/pulls/2") {
		t.Errorf("url = %q, want under the emulator", pr.GetURL())
	}
	if _, _, err := newClient(t, srv).PullRequests.Get(t.Context(), testOwner, testName, 3); errorStatus(err) != http.StatusNotFound {
		t.Errorf("missing pull request: %v, want 404", err)
	}
}

func TestMergeableComputedAfterNullGets(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddPull(testRepo, ghemu.Pull{Number: 5, Mergeable: github.Bool(false), MergeableNullFor: 2})
	gh := newClient(t, srv)
	var got []string
	for range 4 {
		pr, _, err := gh.PullRequests.Get(t.Context(), testOwner, testName, 5)
		if err != nil {
			t.Fatal(err)
		}
		m := "null"
		if pr.Mergeable != nil {
			m = map[bool]string{true: "true", false: "false"}[*pr.Mergeable]
		}
		got = append(got, m+"/"+pr.GetMergeableState())
	}
	want := []string{"null/unknown", "null/unknown", "false/dirty", "false/dirty"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mergeable per GET (-want +got):\n%s", diff)
	}
}

func TestListPulls(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	for n := 1; n <= 5; n++ {
		p := ghemu.Pull{Number: n}
		if n == 4 {
			p.BaseRef = "release"
		}
		if n == 5 {
			p.State = "closed"
		}
		srv.AddPull(testRepo, p)
	}
	gh := newClient(t, srv)
	tests := []struct {
		name       string
		opts       github.PullRequestListOptions
		want       []int
		next, last int
	}{
		{name: "default open, newest first", want: []int{4, 3, 2, 1}},
		{name: "base", opts: github.PullRequestListOptions{Base: "main"}, want: []int{3, 2, 1}},
		{name: "all ascending", opts: github.PullRequestListOptions{State: "all", Direction: "asc"}, want: []int{1, 2, 3, 4, 5}},
		{name: "page 1 of 2", opts: github.PullRequestListOptions{ListOptions: github.ListOptions{PerPage: 3}}, want: []int{4, 3, 2}, next: 2, last: 2},
		{name: "page 2 of 2", opts: github.PullRequestListOptions{ListOptions: github.ListOptions{PerPage: 3, Page: 2}}, want: []int{1}},
		{name: "head", opts: github.PullRequestListOptions{Head: testOwner + ":feature-3"}, want: []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prs, resp, err := gh.PullRequests.List(t.Context(), testOwner, testName, &tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, pr := range prs {
				got = append(got, pr.GetNumber())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("numbers (-want +got):\n%s", diff)
			}
			if strings.Contains(resp.Header.Get("Link"), "sort=") {
				t.Errorf("Link %q carries a default the client did not send", resp.Header.Get("Link"))
			}
			if resp.NextPage != tt.next || resp.LastPage != tt.last {
				t.Errorf("next/last page = %d/%d, want %d/%d (Link %q)", resp.NextPage, resp.LastPage, tt.next, tt.last, resp.Header.Get("Link"))
			}
		})
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pull    ghemu.Pull
		sha     string
		status  int
		message string
	}{
		{name: "merges at head", pull: ghemu.Pull{Number: 1, HeadSHA: headSHA, Mergeable: github.Bool(true)}, sha: headSHA, status: http.StatusOK},
		{name: "merges without sha", pull: ghemu.Pull{Number: 1}, status: http.StatusOK},
		{name: "head moved", pull: ghemu.Pull{Number: 1, HeadSHA: headSHA}, sha: baseSHA,
			status: http.StatusConflict, message: "Head branch was modified. Review and try the merge again."},
		{name: "conflicts", pull: ghemu.Pull{Number: 1, Mergeable: github.Bool(false)},
			status: http.StatusMethodNotAllowed, message: "Pull Request is not mergeable"},
		{name: "closed", pull: ghemu.Pull{Number: 1, State: "closed"},
			status: http.StatusMethodNotAllowed, message: "Pull Request is not mergeable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghemu.New(t)
			srv.AddPull(testRepo, tt.pull)
			res, _, err := newClient(t, srv).PullRequests.Merge(t.Context(), testOwner, testName, 1, "",
				&github.PullRequestOptions{SHA: tt.sha, MergeMethod: "squash"})
			if tt.status != http.StatusOK {
				er, ok := err.(*github.ErrorResponse)
				if !ok || er.Response.StatusCode != tt.status || er.Message != tt.message {
					t.Errorf("Merge: %v, want %d %q", err, tt.status, tt.message)
				}
				if m := srv.Merges(); len(m) != 0 {
					t.Errorf("merges = %v, want none", m)
				}
				return
			}
			if err != nil || !res.GetMerged() {
				t.Fatalf("Merge = %v, %v; want merged", res, err)
			}
			m := srv.Merges()
			if len(m) != 1 || m[0].Method != "squash" || m[0].MergeCommitSHA != res.GetSHA() {
				t.Errorf("merges = %+v, want one squash with sha %s", m, res.GetSHA())
			}
			if p, _ := srv.PullRequest(testRepo, 1); !p.Merged || p.State != "closed" {
				t.Errorf("pull after merge: merged %v state %q", p.Merged, p.State)
			}
		})
	}
}

func TestGetRepo(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(testRepo)
	gh := newClient(t, srv)
	r, _, err := gh.Repositories.Get(t.Context(), "Octo-Org", testName) // names are case-insensitive
	if err != nil {
		t.Fatal(err)
	}
	if r.GetFullName() != testRepo || r.GetDefaultBranch() != "main" || r.GetOwner().GetLogin() != testOwner {
		t.Errorf("repository = %s default %s owner %s", r.GetFullName(), r.GetDefaultBranch(), r.GetOwner().GetLogin())
	}
	if _, _, err := gh.Repositories.Get(t.Context(), "octo-org", "missing"); errorStatus(err) != http.StatusNotFound {
		t.Errorf("unknown repository: %v, want 404", err)
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Errorf("a 404 for a missing repository is not a violation: %v", v)
	}
}

func TestForkPull(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddPull(testRepo, ghemu.Pull{Number: 9, HeadRepo: "contributor/octo-repo", HeadSHA: headSHA})
	gh := newClient(t, srv)
	pr, _, err := gh.PullRequests.Get(t.Context(), testOwner, testName, 9)
	if err != nil {
		t.Fatal(err)
	}
	if got := pr.GetHead().GetRepo().GetFullName(); got != "contributor/octo-repo" || pr.GetHead().GetLabel() != "contributor:feature-9" {
		t.Errorf("head repo %q label %q, want the fork", got, pr.GetHead().GetLabel())
	}
	run, _, err := gh.Checks.CreateCheckRun(t.Context(), testOwner, testName, github.CreateCheckRunOptions{Name: "build", HeadSHA: headSHA})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.PullRequests) != 0 {
		t.Errorf("pull_requests = %v; GitHub leaves fork pull requests out", run.PullRequests)
	}
}

func TestUpdatePullMovesHead(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddPull(testRepo, ghemu.Pull{Number: 1, HeadSHA: baseSHA, Mergeable: github.Bool(true), MergeableNullFor: 1})
	gh := newClient(t, srv)
	if _, _, err := gh.PullRequests.Get(t.Context(), testOwner, testName, 1); err != nil {
		t.Fatal(err)
	}
	srv.UpdatePull(testRepo, 1, func(p *ghemu.Pull) { p.HeadSHA = headSHA })
	pr, _, err := gh.PullRequests.Get(t.Context(), testOwner, testName, 1)
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetHead().GetSHA() != headSHA || pr.Mergeable != nil {
		t.Errorf("after the push: head %s mergeable %v, want %s and null again", pr.GetHead().GetSHA(), pr.Mergeable, headSHA)
	}
	_, _, err = gh.PullRequests.Merge(t.Context(), testOwner, testName, 1, "", &github.PullRequestOptions{SHA: baseSHA})
	if errorStatus(err) != http.StatusConflict {
		t.Errorf("merge at the old head: %v, want 409", err)
	}
}
