package rules

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// script is a rule whose measurements are given in advance: "ok", "fail"
// or "none" (no data) per evaluation.
func script(name string, fire func(Streak, time.Time) bool, steps ...string) Rule {
	i := 0
	return Func{RuleName: name, Limit: "> 1", Fire: fire, Measurer: func(context.Context, time.Time) Measurement {
		s := steps[min(i, len(steps)-1)]
		i++
		switch s {
		case "ok":
			return Measurement{Value: 0, HasData: true, Evidence: "fine"}
		case "fail":
			return Measurement{Value: 2, HasData: true, Failing: true, Evidence: "too high"}
		}
		return Measurement{Evidence: "no samples"}
	}}
}

// clock ticks 100ms per call from a fixed time.
func clock() func() time.Time {
	t := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(100 * time.Millisecond); return t }
}

func TestEngineFires(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		rule       Rule
		policy     Policy
		noDataN    int
		rounds     int
		wantRound  int // 1-based round that fires; 0 for none
		wantNoData bool
	}{
		{name: "five failures in a row fire on the fifth", rule: script("checks", AfterCount(5), "fail"), rounds: 8, wantRound: 5},
		{name: "an ok evaluation resets the streak", rule: script("checks", AfterCount(3), "fail", "fail", "ok", "fail", "fail", "fail"), rounds: 8, wantRound: 6},
		{name: "a threshold fires at once", rule: script("threshold/p95", nil, "ok", "fail"), rounds: 4, wantRound: 2},
		{name: "sustained fires after a duration", rule: script("cpu", func(s Streak, now time.Time) bool { return now.Sub(s.Since) >= 300*time.Millisecond }, "fail"), rounds: 6, wantRound: 4},
		{name: "no data under fail fires after its count", rule: script("threshold/error-rate", nil, "none"), policy: FailOnNoData, noDataN: 3, rounds: 6, wantRound: 3, wantNoData: true},
		{name: "no data under ignore never fires", rule: script("threshold/error-rate", nil, "none"), policy: IgnoreNoData, noDataN: 1, rounds: 6},
		{name: "failures and no data in turn fire like failures", rule: script("checks", AfterCount(5), "fail", "none", "fail", "none", "fail"), policy: FailOnNoData, noDataN: 5, rounds: 6, wantRound: 5},
		{name: "no data under ignore neither breaks nor grows a failing streak", rule: script("checks", AfterCount(3), "fail", "none", "fail", "none", "fail"), policy: IgnoreNoData, noDataN: 1, rounds: 6, wantRound: 5},
		{name: "data in between resets the no-data streak", rule: script("x", nil, "none", "none", "ok", "none", "none", "none"), policy: FailOnNoData, noDataN: 3, rounds: 6, wantRound: 6, wantNoData: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := New(Options{NoDataAfter: tc.noDataN, Now: clock()})
			e.Add(tc.rule, cmpPolicy(tc.policy))
			got := 0
			for r := 1; r <= tc.rounds && got == 0; r++ {
				f, round := e.Evaluate(t.Context())
				if len(round) != 1 {
					t.Fatalf("round %d has %d evaluations", r, len(round))
				}
				if f != nil {
					got = r
					if f.NoData != tc.wantNoData || round[0].Verdict != Fired {
						t.Errorf("firing %+v, verdict %s", f, round[0].Verdict)
					}
				}
			}
			if got != tc.wantRound {
				t.Errorf("fired in round %d, want %d", got, tc.wantRound)
			}
		})
	}
}

func cmpPolicy(p Policy) Policy {
	if p == "" {
		return FailOnNoData
	}
	return p
}

func TestSummariesCountNoData(t *testing.T) {
	t.Parallel()
	e := New(Options{NoDataAfter: 10, Now: clock()})
	e.Add(script("a", nil, "ok", "none", "none", "ok"), IgnoreNoData)
	e.Add(script("b", AfterCount(9), "fail"), FailOnNoData)
	for range 4 {
		e.Evaluate(t.Context())
	}
	sums := e.Summaries()
	if got := sums[0].NoDataFor; got != 200*time.Millisecond {
		t.Errorf("rule a had no data for %v, want 200ms", got)
	}
	if diff := cmp.Diff(map[Verdict]int{OK: 2, NoData: 2}, sums[0].Counts); diff != "" {
		t.Errorf("counts of a (-want +got):\n%s", diff)
	}
	if sums[1].Last == nil || sums[1].Last.Verdict != Failing || sums[1].Evaluated() != 4 {
		t.Errorf("rule b: %+v", sums[1])
	}
}

func TestReportsGolden(t *testing.T) {
	t.Parallel()
	e := New(Options{NoDataAfter: 2, Now: clock()})
	e.Add(script("checks", AfterCount(3), "ok", "fail", "fail", "fail"), FailOnNoData)
	e.Add(script("threshold/error-rate", nil, "none", "ok", "ok", "ok"), FailOnNoData)
	for range 4 {
		e.Evaluate(t.Context())
	}
	evals := e.Evaluations()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, evals); err != nil {
		t.Fatal(err)
	}
	golden(t, "evaluations.csv", buf.Bytes())
	buf.Reset()
	end := evals[len(evals)-1].Time.Add(100 * time.Millisecond)
	for _, iv := range Intervals(evals, end) {
		buf.WriteString(iv.From.Format("05.000") + "-" + iv.To.Format("05.000") + " " + string(iv.Level) + " " + iv.Locator + " " + iv.Message + "\n")
	}
	golden(t, "intervals.txt", buf.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}
