package main_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/gittest"
	"github.com/shipgate/shipgate/internal/risk/risktest"
)

// riskRow is the ranking's row of the conflict case in the merge-check
// history of internal/risk/testdata/histories.
const riskRow = "| 🔴 high | `merge/conflicts` (shipgate.merge-check) | never failed before | passed all 3 earlier run(s) that ran it (2 on main, 1 for pull requests), the newest 2026-11-30 |"

// TestRiskRankingOfAFailedStage: a pull request that conflicts fails
// merge-check; the earlier runs seeded in the emulator (their report
// artifacts read through the artifact endpoints) show the conflict case
// never failed before, and the step summary and the check run say so.
func TestRiskRankingOfAFailedStage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.AddRepo(repoName)
	risktest.Seed(t, f.srv, repoName, risktest.Dir(t, "merge-check"), "shipgate-report-merge-check")
	head, _ := f.pull(7, gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 4", 1)})
	base := f.moveMain(gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 3", 1)})

	s := runStep(t, f.srv, f.workspace(), "pull_request", pullEvent(t, 7, head, base), nil)
	if s.code != 1 {
		t.Fatalf("exit code %d, want 1 (findings); log:\n%s", s.code, s.log)
	}
	if !strings.Contains(s.summary, "#### Risk of the failures") || !strings.Contains(s.summary, riskRow) {
		t.Errorf("step summary lacks the ranking row %q:\n%s", riskRow, s.summary)
	}
	run := checkRun(t, f.srv)
	if !strings.Contains(run.Summary, riskRow) || len(run.Summary) > 65535 {
		t.Errorf("check run summary (%d bytes) lacks the ranking row:\n%s", len(run.Summary), run.Summary)
	}
	downloads := 0
	for _, c := range f.srv.Calls() {
		if c.Operation == "artifact-storage" {
			downloads++
		}
	}
	if downloads != 3 {
		t.Errorf("%d archives downloaded, want the 3 seeded runs' (the history is read once per run)", downloads)
	}
}

// TestRiskRankingWithoutHistory: no earlier run had results, and the
// summary says the failures are not ranked.
func TestRiskRankingWithoutHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	head, _ := f.pull(7, gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 4", 1)})
	base := f.moveMain(gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 3", 1)})
	s := runStep(t, f.srv, f.workspace(), "pull_request", pullEvent(t, 7, head, base), nil)
	if s.code != 1 {
		t.Fatalf("exit code %d, want 1; log:\n%s", s.code, s.log)
	}
	if want := "No history: none of the 0 earlier run(s) looked at had shipgate's JUnit results"; !strings.Contains(s.summary, want) {
		t.Errorf("step summary does not say %q:\n%s", want, s.summary)
	}
}

// TestRiskRankingLookupFails: a token that may not read Actions (403 on
// the runs) leaves a warning and a note; the stage's verdict is its own.
func TestRiskRankingLookupFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.Fail(ghemu.FaultRule{PathPattern: "/repos/{owner}/{repo}/actions/runs", Status: http.StatusForbidden, Message: "Resource not accessible by integration"})
	head, _ := f.pull(7, gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 4", 1)})
	base := f.moveMain(gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 3", 1)})
	s := runStep(t, f.srv, f.workspace(), "pull_request", pullEvent(t, 7, head, base), nil)
	if s.code != 1 {
		t.Fatalf("exit code %d, want 1 (the conflict), not an error; log:\n%s", s.code, s.log)
	}
	if !strings.Contains(s.log, "::warning::The failures are not ranked by risk") {
		t.Errorf("log lacks the warning:\n%s", s.log)
	}
	if !strings.Contains(s.summary, "The failures are not ranked: their history could not be read") {
		t.Errorf("summary lacks the note:\n%s", s.summary)
	}
	if run := checkRun(t, f.srv); run.Conclusion != "failure" || !strings.Contains(run.Summary, "not ranked") {
		t.Errorf("check run %q, summary:\n%s", run.Conclusion, run.Summary)
	}
}
