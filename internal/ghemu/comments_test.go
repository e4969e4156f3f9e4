package ghemu_test

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/ghemu"
)

func TestCreateComment(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 5, 9, 12, 0, 0, 0, time.UTC)
	srv := ghemu.New(t, ghemu.WithClock(func() time.Time { return clock }))
	srv.AddPull(testRepo, ghemu.Pull{Number: 12, Merged: true})
	gh := newClient(t, srv)

	c, resp, err := gh.Issues.CreateComment(t.Context(), testOwner, testName, 12, &github.IssueComment{Body: github.String("Rolled back: **error rate** 4% > 1%")})
	if err != nil {
		t.Fatalf("CreateComment: %v", err)
	}
	if c.GetID() <= 1<<31 || c.GetUser().GetLogin() != "github-actions[bot]" || !strings.HasSuffix(c.GetHTMLURL(), "/pull/12#issuecomment-"+strconv.FormatInt(c.GetID(), 10)) {
		t.Errorf("comment id %d user %q html_url %q, want an id above 2^31 by github-actions[bot] on /pull/12", c.GetID(), c.GetUser().GetLogin(), c.GetHTMLURL())
	}
	if resp.Header.Get("Location") != c.GetURL() {
		t.Errorf("Location = %q, want %q", resp.Header.Get("Location"), c.GetURL())
	}
	want := []ghemu.Comment{{ID: c.GetID(), Repo: testRepo, Number: 12, Body: "Rolled back: **error rate** 4% > 1%", User: "github-actions[bot]", CreatedAt: clock}}
	if diff := cmp.Diff(want, srv.Comments(testRepo, 12)); diff != "" {
		t.Errorf("Comments (-want +got):\n%s", diff)
	}

	if _, _, err := gh.Issues.CreateComment(t.Context(), testOwner, testName, 13, &github.IssueComment{Body: github.String("x")}); errorStatus(err) != http.StatusNotFound {
		t.Errorf("comment on an unknown pull request: %v, want 404", err)
	}
	_, _, err = gh.Issues.CreateComment(t.Context(), testOwner, testName, 12, &github.IssueComment{Body: github.String(strings.Repeat("é", 65537))})
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusUnprocessableEntity || len(er.Errors) != 1 ||
		er.Errors[0].Message != "Body is too long (maximum is 65536 characters)" {
		t.Errorf("comment of 65537 characters: %v, want 422 Body is too long", err)
	}
	if v := srv.TakeViolations(); len(v) != 1 {
		t.Errorf("violations = %v, want the long comment", v)
	}
	if _, _, err := gh.Issues.CreateComment(t.Context(), testOwner, testName, 12, &github.IssueComment{Body: github.String(strings.Repeat("é", 65536))}); err != nil {
		t.Errorf("comment of exactly 65536 characters: %v", err)
	}
}

func TestPullsForCommit(t *testing.T) {
	t.Parallel()
	const (
		squash = "1111111111111111111111111111111111111111"
		inPR   = "2222222222222222222222222222222222222222"
		shared = "3333333333333333333333333333333333333333"
		nobody = "4444444444444444444444444444444444444444"
	)
	srv := ghemu.New(t)
	srv.AddPull(testRepo, ghemu.Pull{Number: 1, Merged: true, HeadRef: "fix", HeadSHA: headSHA, MergeCommitSHA: squash, Commits: []string{inPR, shared}})
	srv.AddPull(testRepo, ghemu.Pull{Number: 2, HeadRef: "more", HeadSHA: baseSHA, Commits: []string{shared}})
	srv.AddPull(testRepo, ghemu.Pull{Number: 3, State: "closed", HeadSHA: nobody[:39] + "5", Commits: []string{shared}})
	srv.AddPull(testRepo, ghemu.Pull{Number: 4, HeadSHA: squash}) // a later branch from main's tip
	gh := newClient(t, srv)
	tests := []struct {
		ref  string
		want []int
	}{
		{squash, []int{1}},    // on main: only the merged pull request that brought it
		{headSHA, []int{1}},   // the merged head
		{inPR, []int{1}},      // a commit inside it
		{shared, []int{1, 2}}, // open and merged; the closed one is left out
		{baseSHA, []int{2}},
		{nobody, nil},
		{"more", []int{2}}, // a branch name
	}
	for _, tt := range tests {
		prs, _, err := gh.PullRequests.ListPullRequestsWithCommit(t.Context(), testOwner, testName, tt.ref, nil)
		if err != nil {
			t.Errorf("pulls of %s: %v", tt.ref, err)
			continue
		}
		var got []int
		for _, pr := range prs {
			got = append(got, pr.GetNumber())
		}
		if !slices.Equal(tt.want, got) {
			t.Errorf("pulls of %s = %v, want %v", tt.ref, got, tt.want)
		}
	}
	if _, _, err := gh.PullRequests.ListPullRequestsWithCommit(t.Context(), testOwner, testName, "no-such-branch", nil); errorStatus(err) != http.StatusUnprocessableEntity {
		t.Errorf("pulls of an unknown branch: %v, want 422", err)
	}
}

func TestReadOnlyTokenDeploymentsAndComments(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t, ghemu.WithReadOnlyToken())
	srv.AddPull(testRepo, ghemu.Pull{Number: 1, HeadSHA: headSHA})
	gh := newClient(t, srv)
	ctx := t.Context()
	forbidden := func(what string, err error) {
		t.Helper()
		var er *github.ErrorResponse
		if !errors.As(err, &er) || er.Response.StatusCode != http.StatusForbidden || er.Message != "Resource not accessible by integration" {
			t.Errorf("%s with a read-only token: %v, want 403 Resource not accessible by integration", what, err)
		}
	}
	_, _, err := gh.Repositories.CreateDeployment(ctx, testOwner, testName, deployRequest(headSHA, "production"))
	forbidden("create deployment", err)
	_, _, err = gh.Issues.CreateComment(ctx, testOwner, testName, 1, &github.IssueComment{Body: github.String("x")})
	forbidden("create comment", err)
	if _, _, err := gh.Repositories.ListDeployments(ctx, testOwner, testName, nil); err != nil {
		t.Errorf("list deployments with a read-only token: %v", err)
	}
	if prs, _, err := gh.PullRequests.ListPullRequestsWithCommit(ctx, testOwner, testName, headSHA, nil); err != nil || len(prs) != 1 {
		t.Errorf("pulls of a commit with a read-only token: %d, %v; want 1", len(prs), err)
	}
	if len(srv.Deployments(testRepo)) != 0 || len(srv.Comments(testRepo, 1)) != 0 {
		t.Error("a read-only token wrote")
	}
}
