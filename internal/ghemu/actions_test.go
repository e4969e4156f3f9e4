package ghemu_test

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/ghemu"
)

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWorkflowRunsAndArtifacts(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	srv := ghemu.New(t, ghemu.WithClock(func() time.Time { return now }))
	srv.AddRepo(testRepo)
	day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	older := srv.AddWorkflowRun(ghemu.WorkflowRun{Repo: testRepo, HeadBranch: "main", Event: "push", CreatedAt: day(3)})
	pr := srv.AddWorkflowRun(ghemu.WorkflowRun{Repo: testRepo, HeadBranch: "feat/a", Event: "pull_request", Conclusion: "failure", PullRequests: []int{40}, CreatedAt: day(2)})
	newer := srv.AddWorkflowRun(ghemu.WorkflowRun{Repo: testRepo, HeadBranch: "main", Event: "push", CreatedAt: day(1)})
	archive := zipOf(t, map[string]string{"smoke.junit.xml": "<testsuites/>"})
	art := srv.AddArtifact(ghemu.Artifact{RunID: newer, Name: "shipgate-report-smoke", Zip: archive})
	srv.AddArtifact(ghemu.Artifact{RunID: newer, Name: "other", Zip: archive})
	gone := srv.AddArtifact(ghemu.Artifact{RunID: older, Name: "shipgate-report-smoke", Zip: archive, Expired: true})
	c := newClient(t, srv)
	ctx := t.Context()

	// Newest first, filtered, paginated.
	runs, resp, err := c.Actions.ListRepositoryWorkflowRuns(ctx, testOwner, testName, &github.ListWorkflowRunsOptions{Status: "completed", ListOptions: github.ListOptions{PerPage: 2}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range runs.WorkflowRuns {
		ids = append(ids, r.GetID())
	}
	if diff := cmp.Diff([]int64{newer, pr}, ids); diff != "" || runs.GetTotalCount() != 3 || resp.NextPage != 2 {
		t.Errorf("first page: ids (-want +got) %s, total %d, next page %d", diff, runs.GetTotalCount(), resp.NextPage)
	}
	if p := runs.WorkflowRuns[1].PullRequests; len(p) != 1 || p[0].GetNumber() != 40 || p[0].GetBase().GetRef() != "main" {
		t.Errorf("pull requests of the pull_request run = %+v", p)
	}
	failed, _, err := c.Actions.ListRepositoryWorkflowRuns(ctx, testOwner, testName, &github.ListWorkflowRunsOptions{Status: "failure"})
	if err != nil || failed.GetTotalCount() != 1 || failed.WorkflowRuns[0].GetID() != pr {
		t.Errorf("status=failure lists %v (%v), want run %d", failed, err, pr)
	}
	onMain, _, err := c.Actions.ListRepositoryWorkflowRuns(ctx, testOwner, testName, &github.ListWorkflowRunsOptions{Branch: "main", Event: "push"})
	if err != nil || onMain.GetTotalCount() != 2 {
		t.Errorf("branch=main&event=push lists %d runs (%v), want 2", onMain.GetTotalCount(), err)
	}

	arts, _, err := c.Actions.ListWorkflowRunArtifacts(ctx, testOwner, testName, newer, nil)
	if err != nil {
		t.Fatal(err)
	}
	if arts.GetTotalCount() != 2 || arts.Artifacts[0].GetID() != art || arts.Artifacts[0].GetSizeInBytes() != int64(len(archive)) {
		t.Errorf("artifacts = %+v", arts.Artifacts)
	}

	// The download redirects to the storage, which needs no token.
	loc, _, err := c.Actions.DownloadArtifact(ctx, testOwner, testName, art, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc.Path, ghemu.BlobPath) {
		t.Fatalf("Location %s is not in the artifact storage", loc)
	}
	got, status := get(t, loc.String(), "")
	if status != http.StatusOK || !bytes.Equal(got, archive) {
		t.Errorf("storage answered %d with %d bytes, want 200 and the %d-byte archive", status, len(got), len(archive))
	}
	if _, status := get(t, loc.String()+"x", ""); status != http.StatusForbidden {
		t.Errorf("a tampered signature answered %d, want 403", status)
	}
	if _, status := get(t, loc.String(), "Bearer "+srv.Token()); status != http.StatusBadRequest {
		t.Errorf("a request with the token answered %d, want 400", status)
	}
	if v := srv.TakeViolations(); len(v) != 1 || !strings.Contains(v[0].Reason, "Authorization header") {
		t.Errorf("violations = %v, want the token sent to the storage", v)
	}

	_, resp, err = c.Actions.DownloadArtifact(ctx, testOwner, testName, gone, 0)
	if err == nil || resp == nil || resp.StatusCode != http.StatusGone {
		t.Errorf("expired artifact: %v, want 410", err)
	}
}

// get fetches url with an optional Authorization header.
func get(t *testing.T, url, auth string) ([]byte, int) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, resp.StatusCode
}
