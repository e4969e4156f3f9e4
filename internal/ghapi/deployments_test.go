package ghapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/ghemu"
)

const deploymentsPath = "/repos/{owner}/{repo}/deployments"

func production(sha string) ghapi.NewDeployment {
	return ghapi.NewDeployment{
		Ref: sha, Environment: "production", Description: "revision 3 (blue-green)",
		Payload: map[string]any{"revision": 3}, ProductionEnvironment: true,
	}
}

func TestDeploymentLifecycle(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 9, 12, 0, 0, 0, time.UTC)
	srv := ghemu.New(t, ghemu.WithClock(func() time.Time { return now }))
	srv.AddRepo(repoName)
	c := client(t, srv, srv.Token())
	ctx := t.Context()

	payload := map[string]any{"revision": 3}
	d := production(headSHA)
	d.Payload = payload
	id, err := c.CreateDeployment(ctx, d)
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	if _, ok := payload[ghapi.RequestKeyField]; ok {
		t.Error("CreateDeployment changed the caller's payload")
	}
	for _, s := range []ghapi.DeploymentStatus{
		{State: "in_progress", LogURL: "https://github.com/octo-org/octo-repo/actions/runs/1", Description: "switching traffic"},
		{State: "success", EnvironmentURL: "https://app.example.com", LogURL: "https://github.com/octo-org/octo-repo/actions/runs/1",
			Description: strings.Repeat("watched window passed; ", 10)},
	} {
		if err := c.SetDeploymentStatus(ctx, id, s); err != nil {
			t.Fatalf("SetDeploymentStatus %s: %v", s.State, err)
		}
	}

	got := srv.Deployments(repoName)
	if len(got) != 1 {
		t.Fatalf("emulator has %d deployments, want 1", len(got))
	}
	dep := got[0]
	if dep.ID != id || dep.SHA != headSHA || dep.Environment != "production" || !dep.ProductionEnvironment || dep.TransientEnvironment {
		t.Errorf("deployment = %+v, want %d of %s to production", dep, id, headSHA)
	}
	if dep.AutoMerge == nil || *dep.AutoMerge || dep.RequiredContexts == nil || len(dep.RequiredContexts) != 0 {
		t.Errorf("auto_merge %v, required_contexts %#v; want false and []", dep.AutoMerge, dep.RequiredContexts)
	}
	sts := srv.DeploymentStatuses(id)
	var states []string
	for _, s := range sts {
		states = append(states, s.State)
	}
	if diff := cmp.Diff([]string{"in_progress", "success"}, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if last := sts[len(sts)-1]; last.EnvironmentURL != "https://app.example.com" || len([]rune(last.Description)) != 140 || !strings.HasSuffix(last.Description, "...") {
		t.Errorf("last status = %+v, want the environment URL and a description cut to 140 characters", last)
	}

	listed, err := c.Deployments(ctx, "production")
	if err != nil {
		t.Fatal(err)
	}
	want := []ghapi.Deployment{{ID: id, Ref: headSHA, SHA: headSHA, Environment: "production",
		Description: "revision 3 (blue-green)", Payload: map[string]any{"revision": 3.0}, CreatedAt: now}}
	if diff := cmp.Diff(want, listed, cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == ghapi.RequestKeyField })); diff != "" {
		t.Errorf("Deployments (-want +got):\n%s", diff)
	}
	if other, err := c.Deployments(ctx, "staging"); err != nil || len(other) != 0 {
		t.Errorf("Deployments(staging) = %v, %v; want none", other, err)
	}
}

func TestDeploymentsNewestFirstOverPages(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(repoName)
	c := client(t, srv, srv.Token())
	var want []int64
	for i := range 103 {
		d := production(headSHA)
		if i%10 == 0 {
			d.Environment = "staging"
		}
		id, err := c.CreateDeployment(t.Context(), d)
		if err != nil {
			t.Fatal(err)
		}
		if d.Environment == "production" {
			want = append([]int64{id}, want...)
		}
	}
	got, err := c.Deployments(t.Context(), "production")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, d := range got {
		ids = append(ids, d.ID)
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("production deployments, newest first (-want +got):\n%s", diff)
	}
	all, err := c.Deployments(t.Context(), "")
	if err != nil || len(all) != 103 {
		t.Errorf("Deployments(\"\") = %d, %v; want all 103 over two pages", len(all), err)
	}
	if n := len(srv.CallsTo("repos/list-deployments")); n != 3 {
		t.Errorf("%d list calls, want 3 (one page, then two)", n)
	}
}

func TestDeploymentInputErrors(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(repoName)
	c := client(t, srv, srv.Token())
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"branch as ref", func() error { d := production("main"); _, err := c.CreateDeployment(t.Context(), d); return err }, "NewDeployment.Ref"},
		{"short sha", func() error { _, err := c.CreateDeployment(t.Context(), production(headSHA[:12])); return err }, "NewDeployment.Ref"},
		{"no environment", func() error {
			d := production(headSHA)
			d.Environment = " "
			_, err := c.CreateDeployment(t.Context(), d)
			return err
		}, "NewDeployment.Environment is empty"},
		{"payload not JSON", func() error {
			d := production(headSHA)
			d.Payload = map[string]any{"f": func() {}}
			_, err := c.CreateDeployment(t.Context(), d)
			return err
		}, "NewDeployment.Payload"},
		{"unknown state", func() error { return c.SetDeploymentStatus(t.Context(), 1, ghapi.DeploymentStatus{State: "done"}) },
			"DeploymentStatus.State \"done\" is not one of error, failure, inactive, in_progress, queued, pending, success"},
		{"relative environment URL", func() error {
			return c.SetDeploymentStatus(t.Context(), 1, ghapi.DeploymentStatus{State: "success", EnvironmentURL: "app.example.com"})
		}, "DeploymentStatus.EnvironmentURL"},
		{"no deployment ID", func() error { return c.SetDeploymentStatus(t.Context(), 0, ghapi.DeploymentStatus{State: "success"}) }, "deployment ID 0"},
		{"commit of a branch", func() error { _, err := c.PullsForCommit(t.Context(), "main"); return err }, "commit SHA \"main\""},
		{"comment on #0", func() error { _, err := c.CommentOnPull(t.Context(), 0, "x"); return err }, "pull request number 0"},
		{"empty comment", func() error { _, err := c.CommentOnPull(t.Context(), 1, " \n"); return err }, "comment body is empty"},
	}
	for _, tt := range tests {
		if err := tt.call(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d requests sent for invalid input, want none", n)
	}
}

func TestDeploymentReadOnlyToken(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t, ghemu.WithReadOnlyToken())
	srv.AddPull(repoName, ghemu.Pull{Number: 7, HeadSHA: headSHA})
	c := client(t, srv, srv.Token())
	ctx := t.Context()
	_, err := c.CreateDeployment(ctx, production(headSHA))
	if !ghapi.IsForbidden(err) || !strings.Contains(err.Error(), "Resource not accessible by integration") {
		t.Errorf("CreateDeployment with a read-only token: %v, want forbidden", err)
	}
	if err := c.SetDeploymentStatus(ctx, 3000000001, ghapi.DeploymentStatus{State: "failure"}); !ghapi.IsForbidden(err) {
		t.Errorf("SetDeploymentStatus with a read-only token: %v, want forbidden", err)
	}
	if _, err := c.CommentOnPull(ctx, 7, "rolled back"); !ghapi.IsForbidden(err) {
		t.Errorf("CommentOnPull with a read-only token: %v, want forbidden", err)
	}
	// Reads still work, and a refusal is not retried.
	if prs, err := c.PullsForCommit(ctx, headSHA); err != nil || len(prs) != 1 {
		t.Errorf("PullsForCommit with a read-only token = %v, %v; want [7]", prs, err)
	}
	if n := c.Calls(); n != 4 {
		t.Errorf("%d requests, want 4: no retry of a 403", n)
	}
}

func TestCreateDeploymentRetries(t *testing.T) {
	t.Parallel()
	lost := func(times int) ghemu.FaultRule {
		return ghemu.FaultRule{Method: http.MethodPost, PathPattern: deploymentsPath, Times: times,
			Status: http.StatusBadGateway, Message: "Server Error", AfterEmulation: true}
	}
	tests := []struct {
		name   string
		faults []ghemu.FaultRule
		// created is how many deployments GitHub ends with; inactive how
		// many of them were marked duplicates.
		created, inactive int
		wantErr           bool
	}{
		{name: "502 before GitHub wrote", faults: []ghemu.FaultRule{ghemu.ServerError(http.MethodPost, deploymentsPath, 2)}, created: 1},
		{name: "answer lost once", faults: []ghemu.FaultRule{lost(1)}, created: 2, inactive: 1},
		{name: "every answer lost", faults: []ghemu.FaultRule{lost(0)}, created: 3, inactive: 2},
		{name: "502 on every attempt", faults: []ghemu.FaultRule{ghemu.ServerError(http.MethodPost, deploymentsPath, 0)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghemu.New(t)
			srv.AddRepo(repoName)
			// A deployment of the same commit made before, with another key:
			// never taken for this call's.
			before, err := client(t, srv, srv.Token()).CreateDeployment(t.Context(), production(headSHA))
			if err != nil {
				t.Fatal(err)
			}
			srv.Fail(tt.faults...)
			var logs []string
			c := client(t, srv, srv.Token(), ghapi.WithRetry(3, time.Minute, time.Millisecond),
				ghapi.WithLogf(func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }))
			id, err := c.CreateDeployment(t.Context(), production(headSHA))
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "502") {
					t.Errorf("CreateDeployment = %d, %v; want the 502", id, err)
				}
				if n := len(srv.Deployments(repoName)); n != 1 {
					t.Errorf("%d deployments, want only the earlier one", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateDeployment: %v", err)
			}
			deps := srv.Deployments(repoName)[1:]
			if len(deps) != tt.created {
				t.Fatalf("GitHub has %d new deployments, want %d", len(deps), tt.created)
			}
			if newest := deps[len(deps)-1].ID; id != newest {
				t.Errorf("CreateDeployment = %d, want the newest, %d", id, newest)
			}
			inactive := 0
			for _, d := range deps {
				sts := srv.DeploymentStatuses(d.ID)
				switch {
				case d.ID == id && len(sts) != 0:
					t.Errorf("the kept deployment has statuses %+v", sts)
				case d.ID != id && (len(sts) != 1 || sts[0].State != "inactive" || !strings.Contains(sts[0].Description, "Duplicate of deployment")):
					t.Errorf("duplicate %d has statuses %+v, want one inactive naming the kept one", d.ID, sts)
				case d.ID != id:
					inactive++
				}
			}
			if inactive != tt.inactive {
				t.Errorf("%d duplicates marked inactive, want %d", inactive, tt.inactive)
			}
			if said := strings.Count(strings.Join(logs, "\n"), "marking it inactive"); said != tt.inactive {
				t.Errorf("log says %d times it marks a duplicate inactive, want %d:\n%s", said, tt.inactive, strings.Join(logs, "\n"))
			}
			if sts := srv.DeploymentStatuses(before); len(sts) != 0 {
				t.Errorf("the earlier deployment got statuses %+v", sts)
			}
		})
	}
}

func TestStatusAndCommentRetryOn5xx(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddPull(repoName, ghemu.Pull{Number: 7, HeadSHA: headSHA})
	c := client(t, srv, srv.Token())
	id, err := c.CreateDeployment(t.Context(), production(headSHA))
	if err != nil {
		t.Fatal(err)
	}
	srv.Fail(ghemu.ServerError(http.MethodPost, deploymentsPath+"/{deployment_id}/statuses", 2),
		ghemu.ServerError(http.MethodPost, "/repos/{owner}/{repo}/issues/{issue_number}/comments", 1))
	if err := c.SetDeploymentStatus(t.Context(), id, ghapi.DeploymentStatus{State: "failure", Description: "rolled back"}); err != nil {
		t.Errorf("SetDeploymentStatus after two 502s: %v", err)
	}
	if _, err := c.CommentOnPull(t.Context(), 7, "rolled back"); err != nil {
		t.Errorf("CommentOnPull after a 502: %v", err)
	}
	if n := len(srv.DeploymentStatuses(id)); n != 1 {
		t.Errorf("%d statuses, want 1", n)
	}
	if n := len(srv.Comments(repoName, 7)); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}
	if n := c.Calls(); n != 1+3+2 {
		t.Errorf("%d requests, want 6 (a create, three status attempts, two comment attempts)", n)
	}
}

func TestPullsForCommit(t *testing.T) {
	t.Parallel()
	const squash = "5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0ff"
	srv := ghemu.New(t)
	srv.AddPull(repoName, ghemu.Pull{Number: 41, Merged: true, HeadSHA: headSHA, MergeCommitSHA: squash})
	srv.AddPull(repoName, ghemu.Pull{Number: 42, HeadSHA: otherSHA})
	c := client(t, srv, srv.Token())
	for sha, want := range map[string][]int{squash: {41}, otherSHA: {42}, strings.Repeat("0", 40): nil} {
		got, err := c.PullsForCommit(t.Context(), sha)
		if err != nil || !cmp.Equal(want, got, cmpopts.EquateEmpty()) {
			t.Errorf("PullsForCommit(%s) = %v, %v; want %v", sha, got, err, want)
		}
	}
}

func TestCommentOnPull(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddPull(repoName, ghemu.Pull{Number: 7, Merged: true})
	c := client(t, srv, srv.Token())
	tests := []struct {
		name string
		body string
		cut  bool
	}{
		{"short", "Rolled back revision 3: rule `error-rate` fired (4.2% > 1% for 2m).", false},
		{"exactly the limit", strings.Repeat("é", ghapi.MaxCommentLen), false},
		{"over the limit", strings.Repeat("é", ghapi.MaxCommentLen+10), true},
	}
	for _, tt := range tests {
		id, err := c.CommentOnPull(t.Context(), 7, tt.body)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		cs := srv.Comments(repoName, 7)
		got := cs[len(cs)-1]
		if got.ID != id {
			t.Errorf("%s: id %d, want %d", tt.name, id, got.ID)
		}
		n := len([]rune(got.Body))
		switch {
		case !tt.cut && got.Body != tt.body:
			t.Errorf("%s: body changed", tt.name)
		case tt.cut && (n != ghapi.MaxCommentLen || !strings.HasSuffix(got.Body, "*Cut: the comment had 65546 characters; GitHub allows 65536.*")):
			t.Errorf("%s: %d characters ending %q, want 65536 with a note", tt.name, n, got.Body[len(got.Body)-80:])
		}
	}
	if _, err := c.CommentOnPull(t.Context(), 8, "x"); err == nil || !strings.Contains(err.Error(), "#8") || !strings.Contains(err.Error(), "404") {
		t.Errorf("comment on an unknown pull request: %v, want a 404 naming #8", err)
	}
}
