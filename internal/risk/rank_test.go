package risk_test

import (
	"cmp"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/risk"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// recorded is a history as testdata/histories/*/history.json records it:
// each run's metadata and its JUnit file.
type recorded struct {
	BaseBranch string   `json:"base_branch"`
	Looked     int      `json:"looked"`
	Source     string   `json:"source"`
	Notes      []string `json:"notes"`
	Runs       []struct {
		ID          int64     `json:"id"`
		Branch      string    `json:"branch"`
		Base        bool      `json:"base"`
		PullRequest int       `json:"pull_request"`
		Time        time.Time `json:"time"`
		JUnit       string    `json:"junit"`
	} `json:"runs"`
}

func readJUnitFile(t *testing.T, path string) map[risk.Case]risk.Outcome {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases, err := risk.ReadJUnit(f, 0)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cases
}

// loadHistory reads a recorded history and the failed cases of its
// current.junit.xml, sorted by class and name.
func loadHistory(t *testing.T, dir string) (risk.History, []risk.Case) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "history.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec recorded
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	h := risk.History{BaseBranch: rec.BaseBranch, Looked: rec.Looked, Source: rec.Source, Notes: rec.Notes}
	for _, r := range rec.Runs {
		h.Runs = append(h.Runs, risk.Run{
			ID: r.ID, Branch: r.Branch, Base: r.Base, PullRequest: r.PullRequest, Time: r.Time,
			Cases: readJUnitFile(t, filepath.Join(dir, r.JUnit)),
		})
	}
	var failed []risk.Case
	for c, o := range readJUnitFile(t, filepath.Join(dir, "current.junit.xml")) {
		if o == risk.Failed {
			failed = append(failed, c)
		}
	}
	slices.SortFunc(failed, func(a, b risk.Case) int { return cmp.Or(cmp.Compare(a.Class, b.Class), cmp.Compare(a.Name, b.Name)) })
	return h, failed
}

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
			h, failed := loadHistory(t, dir)
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
			h, failed := loadHistory(t, filepath.Join("testdata/histories", tt.dir))
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
