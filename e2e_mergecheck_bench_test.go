package main_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/gittest"
)

// manyFindings is a manifest file of n objects, each with one finding in
// turn: an API removed in the target version, an object defined twice, an
// object without a name.
func manyFindings(n int) string {
	var b strings.Builder
	for i := range n {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "---\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: pdb-%06d\n  namespace: shop\nspec:\n  minAvailable: 1\n", i)
		case 1:
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice-%06d\n  namespace: shop\n", i)
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice-%06d\n  namespace: shop\n", i)
		case 2:
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: shop\ndata:\n  n: \"%d\"\n", i)
		}
	}
	return b.String()
}

// BenchmarkMergeCheckFindings runs the built binary on pull requests whose
// merged tree has 100 to 10,000 findings, against the emulator: the merge,
// the checks, the reports and every annotation (50 per request). The time
// per finding stays flat from 100 to 10,000 when the steps are linear.
func BenchmarkMergeCheckFindings(b *testing.B) {
	shipgate(b)
	for i, n := range []int{100, 1_000, 10_000} {
		b.Run(fmt.Sprintf("findings=%d", n), func(b *testing.B) {
			f := newFixture(b)
			head, base := f.pull(20+i, gittest.Files{"deploy/many.yaml": manyFindings(n)})
			ws := f.workspace()
			ev := pullEvent(b, 20+i, head, base)
			var findings, calls int
			for b.Loop() {
				before := len(f.srv.Calls())
				s := runStep(b, f.srv, ws, "pull_request", ev, nil)
				if s.code != 1 {
					b.Fatalf("exit code %d, want 1:\n%s", s.code, s.log)
				}
				if s.outputs["findings"] != fmt.Sprint(n) {
					b.Fatalf("output findings = %q, want %d", s.outputs["findings"], n)
				}
				findings += n
				calls += len(f.srv.Calls()) - before
			}
			if v := f.srv.Violations(); len(v) > 0 {
				b.Fatalf("requests GitHub would refuse: %v", v)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(findings), "µs/finding")
			b.ReportMetric(float64(calls)/float64(b.N), "api-calls/op")
		})
	}
}
