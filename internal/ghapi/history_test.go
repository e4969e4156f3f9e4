package ghapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/risk"
	"github.com/shipgate/shipgate/internal/risk/risktest"
)

// TestHistoryThroughArtifacts seeds a recorded history as workflow runs
// with report artifacts, plus runs TestHistory must leave out or note,
// and reads it back through the artifact endpoints (every request and
// response validated against GitHub's OpenAPI description): the runs and
// their cases equal the recorded ones, so the ranking is the same.
func TestHistoryThroughArtifacts(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	srv := ghemu.New(t, ghemu.WithClock(func() time.Time { return now }))
	srv.AddRepo(repoName)
	dir := risktest.Dir(t, "mixed")
	risktest.Seed(t, srv, repoName, dir, "shipgate-report-smoke")
	recorded, failed := risktest.Load(t, dir)

	fail := []byte(`<testsuites><testsuite><testcase name="smoke/home" classname="shipgate.smoke"><failure/></testcase></testsuite></testsuites>`)
	art := func(run int64, name string, expired bool) {
		srv.AddArtifact(ghemu.Artifact{RunID: run, Name: name, Expired: expired, Zip: risktest.Zip(t, map[string][]byte{"smoke.junit.xml": fail})})
	}
	// This run and this pull request's earlier run: left out.
	current := srv.AddWorkflowRun(ghemu.WorkflowRun{Repo: repoName, HeadBranch: "feat/x", Event: "pull_request", PullRequests: []int{50}, CreatedAt: now})
	art(current, "shipgate-report-smoke", false)
	own := srv.AddWorkflowRun(ghemu.WorkflowRun{Repo: repoName, HeadBranch: "feat/x", Event: "pull_request", PullRequests: []int{50}, CreatedAt: now.Add(-time.Hour)})
	art(own, "shipgate-report-smoke", false)
	// Runs looked at without results: another artifact only, an expired one.
	other := srv.AddWorkflowRun(ghemu.WorkflowRun{Repo: repoName, HeadBranch: "main", CreatedAt: now.Add(-2 * time.Hour)})
	art(other, "shipgate-image", false)
	expired := srv.AddWorkflowRun(ghemu.WorkflowRun{Repo: repoName, HeadBranch: "main", CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	art(expired, "shipgate-report-smoke", true)
	// One 502 on a download: retried.
	srv.Fail(ghemu.FaultRule{PathPattern: "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}", Times: 1, Status: http.StatusBadGateway, Message: "Server Error"})

	c := client(t, srv, srv.Token())
	h, err := c.TestHistory(t.Context(), ghapi.HistoryQuery{BaseBranch: "main", CurrentRunID: current, PullRequest: 50, HeadBranch: "feat/x", MaxRuns: 20})
	if err != nil {
		t.Fatal(err)
	}
	ignore := cmpopts.IgnoreFields(risk.Run{}, "URL")
	sortRuns := cmpopts.SortSlices(func(a, b risk.Run) bool { return a.ID < b.ID })
	if diff := cmp.Diff(recorded.Runs, h.Runs, ignore, sortRuns); diff != "" {
		t.Errorf("runs read through the artifacts (-recorded +got):\n%s", diff)
	}
	if h.Looked != len(recorded.Runs)+2 {
		t.Errorf("looked at %d runs, want the %d recorded and 2 without results", h.Looked, len(recorded.Runs))
	}
	wantNotes := []string{
		"1 run(s) had no shipgate-report* artifact (run " + itoa(other) + ").",
		"1 artifact(s) had expired (shipgate-report-smoke of run " + itoa(expired) + ").",
	}
	if diff := cmp.Diff(wantNotes, h.Notes, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(risk.Rank(failed, recorded), risk.Rank(failed, h)); diff != "" {
		t.Errorf("ranking (-recorded +through the emulator):\n%s", diff)
	}
	for _, call := range srv.CallsWithToken("") {
		if call.Operation != "artifact-storage" {
			t.Errorf("%s carried no token", call)
		}
	}
	if n := len(srv.CallsWithToken("")); n != len(recorded.Runs) {
		t.Errorf("%d downloads from the artifact storage, want %d", n, len(recorded.Runs))
	}
}

// TestHistoryBounds: at most MaxRuns runs are looked at, and an archive
// over MaxArtifactBytes is skipped with a note, never downloaded.
func TestHistoryBounds(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(repoName)
	big := risktest.Zip(t, map[string][]byte{"smoke.junit.xml": []byte(strings.Repeat(" ", 4096) + "<testsuites/>")})
	for i := range 7 {
		id := srv.AddWorkflowRun(ghemu.WorkflowRun{Repo: repoName, HeadBranch: "main", CreatedAt: time.Date(2026, 11, 1+i, 0, 0, 0, 0, time.UTC)})
		srv.AddArtifact(ghemu.Artifact{RunID: id, Name: "shipgate-report-smoke", Zip: big})
	}
	c := client(t, srv, srv.Token())
	h, err := c.TestHistory(t.Context(), ghapi.HistoryQuery{BaseBranch: "main", MaxRuns: 5, MaxArtifactBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if h.Looked != 5 || len(h.Runs) != 0 || len(h.Notes) != 1 || !strings.Contains(h.Notes[0], "5 artifact(s) were over 100 bytes") {
		t.Errorf("looked %d, runs %d, notes %q; want 5 looked, none read, the oversized archives noted", h.Looked, len(h.Runs), h.Notes)
	}
	for _, call := range srv.Calls() {
		if call.Operation == "actions/download-artifact" || call.Operation == "artifact-storage" {
			t.Errorf("%s: an oversized archive was downloaded", call)
		}
	}
	if _, err := c.TestHistory(t.Context(), ghapi.HistoryQuery{}); err == nil || !strings.Contains(err.Error(), "base branch") {
		t.Errorf("no base branch: %v, want an error naming it", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
