package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/result"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixed is the clock of every golden file.
var fixed = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func sample() []Target {
	return []Target{{
		Label: "PR #7",
		Result: result.Result{
			Stage:    "merge-check",
			Title:    "1 conflict, 1 removed API",
			Started:  fixed,
			Finished: fixed.Add(1500 * time.Millisecond),
			Notes:    []string{"merged 1a2b3c into main at 4d5e6f"},
			Checks: []result.Check{
				{Name: "merge/conflicts", Description: "three-way merge", Duration: 200 * time.Millisecond, Findings: []result.Finding{{
					Check: "merge/conflicts", Level: result.Failure, Path: "deploy/web.yaml", Line: 12, EndLine: 16,
					Title: "Merge conflict (contents)", Message: "both sides changed spec.replicas | see <markers>", Object: "Deployment/shop/web",
				}}},
				{Name: "apis/removed", Duration: time.Millisecond, Findings: []result.Finding{{
					Check: "apis/removed", Level: result.Failure, Path: "deploy/ing.yaml", Line: 1, Column: 13,
					Title: "extensions/v1beta1 Ingress removed in v1.22", Message: "use networking.k8s.io/v1",
				}}},
				{Name: "apis/deprecated", Findings: []result.Finding{{
					Check: "apis/deprecated", Level: result.Warning, Path: "deploy/fc.yaml", Line: 1, Title: "deprecated", Message: "line one\nline two",
				}}},
				{Name: "upgrade/path", Skipped: "no Kubernetes version changed"},
			},
		},
	}}
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
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestJUnitGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteJUnit(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "merge-check.junit.xml", b.Bytes())
}

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	golden(t, "merge-check.md", []byte(Markdown(sample(), MaxCheckOutput, "See the report file.")))
}

func TestMarkdownLimit(t *testing.T) {
	t.Parallel()
	var fs []result.Finding
	for i := range 2000 {
		fs = append(fs, result.Finding{Check: "c", Level: result.Failure, Path: fmt.Sprintf("deploy/f%04d.yaml", i), Line: i + 1, Title: "bad", Message: strings.Repeat("x", 40)})
	}
	targets := []Target{{Result: result.Result{Stage: "merge-check", Checks: []result.Check{{Name: "c", Findings: fs}}}}}
	for _, limit := range []int{2000, 10000, MaxCheckOutput} {
		md := Markdown(targets, limit, "All findings are in shipgate-report/merge-check.md.")
		if len(md) > limit {
			t.Errorf("Markdown(limit %d) is %d bytes", limit, len(md))
		}
		rows := strings.Count(md, "| ❌ failure |")
		want := fmt.Sprintf("**%d more finding(s) did not fit here.** All findings are in shipgate-report/merge-check.md.", 2000-rows)
		if !strings.Contains(md, want) {
			t.Errorf("Markdown(limit %d) with %d rows lacks %q", limit, rows, want)
		}
		if rows == 0 {
			t.Errorf("Markdown(limit %d) kept no rows", limit)
		}
	}
	full := Markdown(targets, MaxStepSummary, "")
	if n := strings.Count(full, "| ❌ failure |"); n != 2000 || strings.Contains(full, "did not fit") {
		t.Errorf("Markdown(1 MiB) kept %d of 2000 rows", n)
	}
}

func TestBatches(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 49, 50, 51, 120, 150} {
		fs := make([]result.Finding, n)
		for i := range fs {
			fs[i].Line = i
		}
		bs := Batches(fs, MaxAnnotationsPerRequest)
		wantBatches := (n + 49) / 50
		if len(bs) != wantBatches {
			t.Errorf("Batches(%d) = %d batches, want %d", n, len(bs), wantBatches)
		}
		next := 0
		for _, b := range bs {
			if len(b) == 0 || len(b) > 50 {
				t.Errorf("Batches(%d): batch of %d", n, len(b))
			}
			for _, f := range b {
				if f.Line != next {
					t.Fatalf("Batches(%d): finding %d out of order", n, f.Line)
				}
				next++
			}
		}
	}
}

func FuzzBatches(f *testing.F) {
	f.Add(120, 50)
	f.Add(0, 0)
	f.Add(7, 3)
	f.Fuzz(func(t *testing.T, n, size int) {
		if n < 0 || n > 5000 {
			return
		}
		fs := make([]result.Finding, n)
		for i := range fs {
			fs[i].Line = i
		}
		limit := size
		if limit <= 0 {
			limit = MaxAnnotationsPerRequest
		}
		total := 0
		for _, b := range Batches(fs, size) {
			if len(b) == 0 || len(b) > limit {
				t.Fatalf("batch of %d with size %d", len(b), size)
			}
			for _, f := range b {
				if f.Line != total {
					t.Fatalf("finding %d at position %d", f.Line, total)
				}
				total++
			}
		}
		if total != n {
			t.Fatalf("batched %d of %d findings", total, n)
		}
	})
}
