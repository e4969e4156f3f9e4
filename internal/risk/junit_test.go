package risk_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/risk"
)

func TestReadJUnit(t *testing.T) {
	t.Parallel()
	c := func(name string) risk.Case { return risk.Case{Class: "shipgate.smoke", Name: name} }
	tests := []struct {
		name    string
		doc     string
		limit   int64
		want    map[risk.Case]risk.Outcome
		wantErr string
	}{
		{
			name: "outcomes",
			doc: `<testsuites><testsuite name="shipgate/smoke">
<testcase name="a" classname="shipgate.smoke"></testcase>
<testcase name="b" classname="shipgate.smoke"><failure message="x">y</failure></testcase>
<testcase name="c" classname="shipgate.smoke"><error message="x"/></testcase>
<testcase name="d" classname="shipgate.smoke"><skipped message="off"/></testcase>
</testsuite></testsuites>`,
			want: map[risk.Case]risk.Outcome{c("a"): risk.Passed, c("b"): risk.Failed, c("c"): risk.Failed, c("d"): risk.Skipped},
		},
		{
			name: "a retried case failed if any entry failed",
			doc: `<testsuite>
<testcase name="a" classname="shipgate.smoke"><failure/></testcase>
<testcase name="a" classname="shipgate.smoke"></testcase>
<testcase name="b" classname="shipgate.smoke"><skipped/></testcase>
<testcase name="b" classname="shipgate.smoke"></testcase>
</testsuite>`,
			want: map[risk.Case]risk.Outcome{c("a"): risk.Failed, c("b"): risk.Passed},
		},
		{name: "over the limit", doc: `<testsuite><testcase name="a" classname="shipgate.smoke"></testcase></testsuite>`, limit: 20, wantErr: "longer than 20 bytes"},
		{name: "not XML", doc: `<testsuite><testcase name="a"`, wantErr: "junit:"},
		{name: "empty", doc: ``, want: map[risk.Case]risk.Outcome{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := risk.ReadJUnit(strings.NewReader(tt.doc), tt.limit)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	fail := []result.Finding{{Level: result.Failure, Title: "x"}}
	r := result.Result{Stage: "smoke", Checks: []result.Check{
		{Name: "smoke/a"},
		{Name: "smoke/b", Findings: fail},
		{Name: "smoke/c", Findings: []result.Finding{{Level: result.Warning, Title: "w"}}},
		{Name: "smoke/d", Skipped: "off"},
	}}
	got := risk.Failures("smoke", r, true)
	want := []risk.Case{{Class: "shipgate.smoke", Name: "smoke/b"}, {Class: "shipgate.smoke", Name: "smoke"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

// TestMarkdownLimit: many failures stay within the limit and the rows
// left out are counted.
func TestMarkdownLimit(t *testing.T) {
	t.Parallel()
	var failed []risk.Case
	for i := range 2000 {
		failed = append(failed, risk.Case{Class: "shipgate.smoke", Name: strings.Repeat("x", 40) + string(rune('a'+i%26))})
	}
	h := risk.History{BaseBranch: "main", Runs: []risk.Run{{ID: 1, Base: true, Cases: map[risk.Case]risk.Outcome{failed[0]: risk.Passed}}}}
	for _, limit := range []int{0, 100, 4096, 65535} {
		got := risk.Markdown(risk.Rank(failed, h), h, limit)
		if len(got) > limit {
			t.Errorf("limit %d: %d bytes", limit, len(got))
		}
		if limit >= 4096 && !strings.Contains(got, "more failed case(s) are not listed here") {
			t.Errorf("limit %d: the rows left out are not counted:\n%s", limit, got[len(got)-200:])
		}
	}
}
