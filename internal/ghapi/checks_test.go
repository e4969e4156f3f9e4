package ghapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
)

// TestCompleteCheckRunManyFindings: up to thousands of findings go to the
// emulator (which refuses what GitHub refuses) 50 annotations per request,
// in order, the run completed by the last request; findings without a file
// are no annotations. The summary of them all keeps within GitHub's 65,535
// characters and says where the rest is.
func TestCompleteCheckRunManyFindings(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 50, 51, 4321} {
		t.Run(fmt.Sprintf("findings=%d", n), func(t *testing.T) {
			t.Parallel()
			now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
			srv := ghemu.New(t, ghemu.WithClock(func() time.Time { return now }))
			srv.AddRepo(repoName)
			c := client(t, srv, srv.Token())
			ctx := t.Context()
			const name = "shipgate / merge-check"
			id, err := c.CreateCheckRun(ctx, ghapi.CheckRun{Name: name, HeadSHA: headSHA, StartedAt: now})
			if err != nil {
				t.Fatal(err)
			}

			var findings []result.Finding
			for i := range n {
				findings = append(findings, result.Finding{
					Check: "apis/removed", Level: result.Failure, Path: fmt.Sprintf("deploy/pdb-%04d.yaml", i), Line: i + 1, Column: 13,
					Title: "policy/v1beta1 PodDisruptionBudget — removed in v1.25", Message: "use policy/v1",
				})
				if i%10 == 0 {
					findings = append(findings, result.Finding{Check: "github/mergeable", Level: result.Warning, Title: "no file", Message: "stays in the summary"})
				}
			}
			target := report.Target{Result: result.Result{Stage: "merge-check", Checks: []result.Check{{Name: "apis/removed", Findings: findings}}}}
			const more = "The step summary has more."
			out := ghapi.Output{Title: fmt.Sprintf("%d failures", n), Summary: report.Markdown([]report.Target{target}, report.MaxCheckOutput, more)}
			conclusion := "success"
			if n > 0 {
				conclusion = "failure"
			}
			if err := c.CompleteCheckRun(ctx, id, name, out, conclusion, findings, now); err != nil {
				t.Fatal(err)
			}

			var sizes []int
			for _, call := range srv.CallsTo("checks/update") {
				sizes = append(sizes, call.Annotations)
			}
			want := []int{}
			for left := n; left > 0; left -= report.MaxAnnotationsPerRequest {
				want = append(want, min(left, report.MaxAnnotationsPerRequest))
			}
			if n == 0 {
				want = []int{0}
			}
			if fmt.Sprint(sizes) != fmt.Sprint(want) {
				t.Errorf("annotations per update request = %v, want %v", sizes, want)
			}
			anns := srv.Annotations(id)
			if len(anns) != n {
				t.Fatalf("%d annotations, want %d", len(anns), n)
			}
			for i, a := range anns {
				if a.StartLine != i+1 || a.Path != fmt.Sprintf("deploy/pdb-%04d.yaml", i) {
					t.Fatalf("annotation %d is %s:%d, want the findings in order", i, a.Path, a.StartLine)
				}
			}
			runs := srv.CheckRuns(repoName)
			if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != conclusion {
				t.Fatalf("check runs = %+v, want one completed with %s", runs, conclusion)
			}
			if chars := utf8.RuneCountInString(runs[0].Summary); chars > report.MaxCheckOutput {
				t.Errorf("summary has %d characters, GitHub takes %d", chars, report.MaxCheckOutput)
			}
			if fits := len(out.Summary) < report.MaxCheckOutput/2; !fits && !strings.Contains(runs[0].Summary, "did not fit here.** "+more) {
				t.Errorf("a full summary does not say where the rest is:\n%s", runs[0].Summary[len(runs[0].Summary)-300:])
			}
		})
	}
}
