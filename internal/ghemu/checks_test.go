package ghemu_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/ghemu"
)

func annotations(n int, from int) []*github.CheckRunAnnotation {
	out := make([]*github.CheckRunAnnotation, n)
	for i := range out {
		out[i] = &github.CheckRunAnnotation{
			Path: github.String("deploy/app.yaml"), StartLine: github.Int(from + i), EndLine: github.Int(from + i),
			AnnotationLevel: github.String("failure"), Message: github.String(fmt.Sprintf("finding %d", from+i)),
		}
	}
	return out
}

func TestCheckRunLifecycle(t *testing.T) {
	t.Parallel()
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	srv := ghemu.New(t, ghemu.WithClock(func() time.Time { return clock }))
	srv.AddPull(testRepo, ghemu.Pull{Number: 2, HeadRef: "changes", HeadSHA: headSHA, BaseSHA: baseSHA})
	gh := newClient(t, srv)
	ctx := t.Context()

	created, _, err := gh.Checks.CreateCheckRun(ctx, testOwner, testName, github.CreateCheckRunOptions{
		Name: "shipgate / mergecheck", HeadSHA: headSHA, Status: github.String("in_progress"),
		ExternalID: github.String("run-1"),
		Output: &github.CheckRunOutput{Title: github.String("Checking"), Summary: github.String("Started."),
			Annotations: annotations(50, 1)},
	})
	if err != nil {
		t.Fatalf("CreateCheckRun: %v", err)
	}
	if created.GetID() <= 1<<32 {
		t.Errorf("check run id %d should exceed 2^32 like GitHub's", created.GetID())
	}
	if got := len(created.PullRequests); got != 1 || created.PullRequests[0].GetNumber() != 2 {
		t.Errorf("pull_requests = %v, want #2", created.PullRequests)
	}
	if got := created.GetApp().GetSlug(); got != "github-actions" {
		t.Errorf("app slug = %q, want github-actions", got)
	}

	for i, batch := range [][]*github.CheckRunAnnotation{annotations(50, 51), annotations(10, 101)} {
		opts := github.UpdateCheckRunOptions{Name: "shipgate / mergecheck",
			Output: &github.CheckRunOutput{Title: github.String("Checking"), Summary: github.String("More."), Annotations: batch}}
		if i == 1 {
			opts.Conclusion = github.String("failure")
			opts.Output.Summary = github.String("110 findings.")
		}
		if _, _, err := gh.Checks.UpdateCheckRun(ctx, testOwner, testName, created.GetID(), opts); err != nil {
			t.Fatalf("UpdateCheckRun %d: %v", i, err)
		}
	}

	got, _, err := gh.Checks.GetCheckRun(ctx, testOwner, testName, created.GetID())
	if err != nil {
		t.Fatalf("GetCheckRun: %v", err)
	}
	if got.GetStatus() != "completed" || got.GetConclusion() != "failure" || got.GetOutput().GetAnnotationsCount() != 110 {
		t.Errorf("GetCheckRun = status %q conclusion %q annotations %d, want completed failure 110",
			got.GetStatus(), got.GetConclusion(), got.GetOutput().GetAnnotationsCount())
	}

	runs := srv.CheckRuns(testRepo)
	if len(runs) != 1 {
		t.Fatalf("CheckRuns = %d runs, want 1", len(runs))
	}
	run := runs[0]
	run.Annotations = nil
	want := ghemu.CheckRun{
		ID: created.GetID(), Repo: testRepo, Name: "shipgate / mergecheck", HeadSHA: headSHA,
		Status: "completed", Conclusion: "failure", ExternalID: "run-1",
		StartedAt: clock, CompletedAt: clock, Title: "Checking", Summary: "110 findings.", Updates: 2,
	}
	if diff := cmp.Diff(want, run); diff != "" {
		t.Errorf("CheckRuns mismatch (-want +got):\n%s", diff)
	}
	ann := srv.Annotations(created.GetID())
	if len(ann) != 110 || ann[0].StartLine != 1 || ann[109].StartLine != 110 {
		t.Errorf("Annotations: %d, want 110 accumulated in order", len(ann))
	}
	var counts []int
	for _, c := range srv.Calls() {
		counts = append(counts, c.Annotations)
	}
	if diff := cmp.Diff([]int{50, 50, 10, 0}, counts); diff != "" {
		t.Errorf("annotation counts per call (-want +got):\n%s", diff)
	}
}

func TestListCheckRunsForRef(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddPull(testRepo, ghemu.Pull{Number: 2, HeadRef: "changes", HeadSHA: headSHA})
	gh := newClient(t, srv)
	ctx := t.Context()
	for _, name := range []string{"build", "smoke", "build"} {
		if _, _, err := gh.Checks.CreateCheckRun(ctx, testOwner, testName, github.CreateCheckRunOptions{Name: name, HeadSHA: headSHA}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		ref  string
		opts github.ListCheckRunsOptions
		want int
	}{
		{ref: headSHA, want: 2}, // latest per name
		{ref: headSHA, opts: github.ListCheckRunsOptions{Filter: github.String("all")}, want: 3},
		{ref: "refs/heads/changes", opts: github.ListCheckRunsOptions{CheckName: github.String("smoke")}, want: 1},
		{ref: "heads/changes", opts: github.ListCheckRunsOptions{Filter: github.String("all"), ListOptions: github.ListOptions{PerPage: 2}}, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			res, resp, err := gh.Checks.ListCheckRunsForRef(ctx, testOwner, testName, tt.ref, &tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.GetTotal() != tt.want {
				t.Errorf("total_count = %d, want %d", res.GetTotal(), tt.want)
			}
			if tt.opts.PerPage == 2 && (len(res.CheckRuns) != 2 || resp.NextPage != 2) {
				t.Errorf("page 1 has %d runs, next page %d; want 2 and 2", len(res.CheckRuns), resp.NextPage)
			}
		})
	}
}

func TestCheckRunRules(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 65536)
	wide := strings.Repeat("é", 40000) // 40000 characters, 80000 bytes
	tests := []struct {
		name    string
		opts    github.CreateCheckRunOptions
		message string
	}{
		{"51 annotations", github.CreateCheckRunOptions{Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String("s"), Annotations: annotations(51, 1)}},
			"Invalid request.\n\nNo more than 50 items are allowed; 51 were supplied."},
		{"summary too long", github.CreateCheckRunOptions{Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String(long)}},
			"Invalid request.\n\nOnly 65535 characters are allowed; 65536 were supplied."},
		{"text over bytesize", github.CreateCheckRunOptions{Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String("s"), Text: github.String(wide)}},
			"Validation Failed"},
		{"completed without conclusion", github.CreateCheckRunOptions{Status: github.String("completed")},
			"Validation Failed"},
		{"annotation level error", github.CreateCheckRunOptions{Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String("s"), Annotations: []*github.CheckRunAnnotation{{
				Path: github.String("a.yaml"), StartLine: github.Int(1), EndLine: github.Int(1),
				AnnotationLevel: github.String("error"), Message: github.String("m")}}}},
			`annotation_level`},
		{"annotation without path", github.CreateCheckRunOptions{Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String("s"), Annotations: []*github.CheckRunAnnotation{{
				StartLine: github.Int(1), EndLine: github.Int(1),
				AnnotationLevel: github.String("warning"), Message: github.String("m")}}}},
			`property "path" is missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghemu.New(t)
			srv.AddRepo(testRepo)
			tt.opts.Name, tt.opts.HeadSHA = "check", headSHA
			_, _, err := newClient(t, srv).Checks.CreateCheckRun(t.Context(), testOwner, testName, tt.opts)
			er, ok := err.(*github.ErrorResponse)
			if !ok || er.Response.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(er.Message, tt.message) {
				t.Errorf("CreateCheckRun error = %v, want 422 containing %q", err, tt.message)
			}
			if v := srv.TakeViolations(); len(v) != 1 {
				t.Errorf("violations = %v, want exactly 1", v)
			}
			if runs := srv.CheckRuns(testRepo); len(runs) != 0 {
				t.Errorf("a rejected request created %d check runs", len(runs))
			}
		})
	}
}

func TestUpdateWithoutNameIsRejected(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(testRepo)
	gh := newClient(t, srv)
	run, _, err := gh.Checks.CreateCheckRun(t.Context(), testOwner, testName, github.CreateCheckRunOptions{Name: "build", HeadSHA: headSHA})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = gh.Checks.UpdateCheckRun(t.Context(), testOwner, testName, run.GetID(), github.UpdateCheckRunOptions{Status: github.String("in_progress")})
	if errorStatus(err) != http.StatusUnprocessableEntity {
		t.Errorf("UpdateCheckRun without Name: %v, want 422", err)
	}
	if v := srv.TakeViolations(); len(v) != 1 || !strings.Contains(v[0].Reason, `is empty`) {
		t.Errorf("violations = %v, want one about the empty name", v)
	}
	if got := srv.CheckRuns(testRepo)[0].Name; got != "build" {
		t.Errorf("name = %q, want build unchanged", got)
	}
}
