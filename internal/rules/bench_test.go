package rules

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/monitor"
)

// BenchmarkLongWindow evaluates four rules for 250 to 25,000 rounds (1,000
// to 100,000 evaluations: a window of 2.8 to 278 hours at an evaluation
// every 10 s, or a shorter one evaluated more often) and writes what the
// promote stage writes of them: the evaluations as CSV, the timeline
// intervals (sorted with the monitor's) and the summaries of the rules
// table. The verdicts change often, so runs are short and intervals many.
func BenchmarkLongWindow(b *testing.B) {
	const rules = 4
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("evaluations=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e := New(Options{NoDataAfter: 1 << 30, Now: clock()})
				for r := range rules {
					i := 0
					e.Add(Func{RuleName: fmt.Sprintf("threshold/r%d", r), Limit: "> 1", Fire: AfterCount(1 << 30),
						Measurer: func(context.Context, time.Time) Measurement {
							i++
							switch {
							case i%(5+r) == 0:
								return Measurement{Evidence: "no samples"}
							case i%(3+r) == 0:
								return Measurement{Value: 2, HasData: true, Failing: true, Evidence: "too high"}
							}
							return Measurement{Value: 0.5, HasData: true, Evidence: "fine"}
						}}, FailOnNoData)
				}
				ctx := b.Context()
				for range n / rules {
					if fired, _ := e.Evaluate(ctx); fired != nil {
						b.Fatalf("fired: %v", fired)
					}
				}
				evals := e.Evaluations()
				if err := WriteCSV(io.Discard, evals); err != nil {
					b.Fatal(err)
				}
				ivs := Intervals(evals, evals[len(evals)-1].Time)
				monitor.Sort(ivs)
				if sums := e.Summaries(); len(sums) != rules || sums[0].Evaluated() != n/rules {
					b.Fatalf("summaries %+v, want %d rules of %d evaluations", sums, rules, n/rules)
				}
			}
		})
	}
}
