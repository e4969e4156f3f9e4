package risk_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/risk"
	"github.com/shipgate/shipgate/internal/risk/risktest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestRankRecorded ranks the failures of each recorded history and
// compares the summary section with its golden file.
func TestRankRecorded(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("testdata/histories/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no recorded histories (%v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			h, failed := risktest.Load(t, dir)
			got := risk.Markdown(risk.Rank(failed, h), h, 65535)
			golden := filepath.Join(dir, "ranking.golden.md")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if diff := gocmp.Diff(string(want), got); diff != "" {
				t.Errorf("ranking (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRankVerdicts pins each recorded case's verdict, apart from wording.
func TestRankVerdicts(t *testing.T) {
	t.Parallel()
	type verdict struct {
		Case    string
		Risk    risk.Level
		Verdict risk.Verdict
	}
	tests := []struct {
		dir  string
		want []verdict
	}{
		{"mixed", []verdict{
			{"shipgate.smoke › smoke/admin", risk.High, risk.NewCase},
			{"shipgate.smoke › smoke/checkout", risk.High, risk.NeverFailed},
			{"shipgate.smoke › smoke/login", risk.Medium, risk.Recovered},
			{"shipgate.smoke › [disruption] service/web should stay available during rollout", risk.Low, risk.Flaky},
			{"shipgate.smoke › smoke/search", risk.Low, risk.FailingOnBase},
		}},
		{"flaky-across-prs", []verdict{
			{"shipgate.sandbox › health/business", risk.Medium, risk.Recovered},
			{"shipgate.sandbox › health/service", risk.Low, risk.Flaky},
			{"shipgate.sandbox › sandbox", risk.Low, risk.FailingOnBase},
		}},
		{"no-history", []verdict{
			{"shipgate.sandbox › health/business", risk.High, risk.NewCase},
			{"shipgate.sandbox › health/service", risk.High, risk.NewCase},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			t.Parallel()
			h, failed := risktest.Load(t, filepath.Join("testdata/histories", tt.dir))
			var got []verdict
			for _, r := range risk.Rank(failed, h) {
				got = append(got, verdict{r.Case.String(), r.Risk, r.Verdict})
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
		})
	}
}
