package report

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/result"
)

// manyChecks is a smoke result of n go test cases in packages of up to
// 50,000: every thousandth fails, every other 500th is skipped.
func manyChecks(n int) []Target {
	checks := make([]result.Check, 0, n)
	for i := range n {
		name := fmt.Sprintf("go test/example.com/big/e2e/part%03d/TestCase%06d", i/50_000, i)
		c := result.Check{Name: name, Description: "go test", Duration: time.Duration(i%97) * 10 * time.Millisecond}
		switch {
		case i%1000 == 999:
			c.Findings = []result.Finding{{Check: name, Level: result.Failure, Title: fmt.Sprintf("TestCase%06d failed", i), Message: "big_test.go:13: status 500, want 200"}}
		case i%500 == 499:
			c.Skipped = "needs a GPU"
		}
		checks = append(checks, c)
	}
	return []Target{{Result: result.Result{Stage: "smoke", Started: fixed, Finished: fixed.Add(time.Minute), Checks: checks}}}
}

// TestMarkdownManyChecks: a result of 100,000 checks fits each limit, lists
// what did not pass (in full within the step summary's limit) and counts
// the passed checks per package.
func TestMarkdownManyChecks(t *testing.T) {
	t.Parallel()
	targets := manyChecks(100_000)
	const more = "Every case is in `smoke.junit.xml`."
	for _, limit := range []int{MaxCheckOutput, MaxStepSummary, 1 << 40} {
		md := Markdown(targets, limit, more)
		if len(md) > limit {
			t.Errorf("Markdown(limit %d) is %d bytes", limit, len(md))
		}
		for _, want := range []string{"**99800 checks passed**; they are counted here, not listed. " + more, "| `go test/example.com/big/e2e/part000` | 49900 |", "| `go test/example.com/big/e2e/part001` | 49900 |", "| slowest passed | time |"} {
			if !strings.Contains(md, want) {
				t.Errorf("Markdown(limit %d) lacks %q", limit, want)
			}
		}
		if n := strings.Count(md, "| ✅ passed |"); n != 0 {
			t.Errorf("Markdown(limit %d) lists %d passed checks", limit, n)
		}
		if fails, skips, rows := strings.Count(md, "| ❌ failed |"), strings.Count(md, "| ⏭️ skipped"), strings.Count(md, "| ❌ failure |"); fails != 100 || skips != 100 || rows != 100 {
			t.Errorf("Markdown(limit %d) lists %d failed and %d skipped checks and %d findings, want 100, 100, 100", limit, fails, skips, rows)
		}
	}
}

// TestMarkdownManyFailures: when the checks that did not pass do not fit,
// the ones that fit are listed and the rest counted.
func TestMarkdownManyFailures(t *testing.T) {
	t.Parallel()
	targets := manyChecks(20_000)
	for i := range targets[0].Result.Checks {
		if c := &targets[0].Result.Checks[i]; i%2 == 0 {
			c.Findings = []result.Finding{{Check: c.Name, Level: result.Failure, Title: "failed", Message: "status 500"}}
		}
	}
	const more = "Every case is in `smoke.junit.xml`."
	for _, limit := range []int{MaxCheckOutput, MaxStepSummary} {
		md := Markdown(targets, limit, more)
		if len(md) > limit {
			t.Errorf("Markdown(limit %d) is %d bytes", limit, len(md))
		}
		// 10,020 checks failed and 20 were skipped.
		listed := strings.Count(md, "| ❌ failed |") + strings.Count(md, "| ⏭️ skipped")
		if want := fmt.Sprintf("**%d more check(s) that did not pass are not listed here.** %s", 10_040-listed, more); listed == 0 || !strings.Contains(md, want) {
			t.Errorf("Markdown(limit %d) lists %d failed checks and lacks %q", limit, listed, want)
		}
		if rows := strings.Count(md, "| ❌ failure |"); rows == 0 || rows < 10_020 && !strings.Contains(md, fmt.Sprintf("**%d more finding(s) did not fit here.** %s", 10_020-rows, more)) {
			t.Errorf("Markdown(limit %d) lists %d findings and does not count the rest", limit, rows)
		}
	}
}

func TestMarkdownCountedGolden(t *testing.T) {
	t.Parallel()
	targets := manyChecks(1000)
	targets[0].Result.Checks = append(targets[0].Result.Checks,
		result.Check{Name: "smoke-command", Duration: time.Second},
		result.Check{Name: "go test/example.com/big/e2e/part000/TestRoutes/home", Duration: time.Millisecond},
		result.Check{Name: "junit/checkout/pays", Duration: 2 * time.Millisecond},
	)
	golden(t, "counted.md", []byte(Markdown(targets, MaxStepSummary, "Every case is in `smoke.junit.xml`.")))
}

func TestGroupOf(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"go test/example.com/m/e2e/TestA":          "go test/example.com/m/e2e",
		"go test/example.com/m/e2e/TestA/sub/case": "go test/example.com/m/e2e",
		"go test/example.com/testing/Example":      "go test/example.com/testing",
		"go test/TestA":                            "go test",
		"junit/checkout/pays":                      "junit/checkout",
		"smoke-command":                            "(ungrouped)",
	} {
		if got := groupOf(name); got != want {
			t.Errorf("groupOf(%q) = %q, want %q", name, got, want)
		}
	}
}

// BenchmarkReports writes every report of a result of 1,000 to 100,000
// checks: the JUnit and JSON files, the markdown file and the step summary.
func BenchmarkReports(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		targets := manyChecks(n)
		b.Run(fmt.Sprintf("checks=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := WriteJUnit(io.Discard, targets); err != nil {
					b.Fatal(err)
				}
				if err := WriteJSON(io.Discard, targets); err != nil {
					b.Fatal(err)
				}
				_ = Markdown(targets, 1<<40, "")
				_ = Markdown(targets, MaxStepSummary, "")
			}
		})
	}
}
