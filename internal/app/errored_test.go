package app

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// reportCase is one JUnit case as a test compares it.
type reportCase struct{ Name, Error string }

// readReports reads the three report files of stage in dir and returns the
// JUnit cases, the markdown and the JSON's error fields.
func readReports(t *testing.T, dir, st string) ([]reportCase, string, []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, st+".junit.xml"))
	if err != nil {
		t.Fatalf("no JUnit report: %v", err)
	}
	var suites junit.Testsuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	var cases []reportCase
	for _, s := range suites.Suites {
		for _, c := range s.Testcases {
			rc := reportCase{Name: c.Name}
			if c.Error != nil {
				rc.Error = c.Error.Message
			}
			cases = append(cases, rc)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, st+".md"))
	if err != nil {
		t.Fatalf("no markdown report: %v", err)
	}
	data, err = os.ReadFile(filepath.Join(dir, st+".json"))
	if err != nil {
		t.Fatalf("no JSON report: %v", err)
	}
	var rs []struct{ Error string }
	if err := json.Unmarshal(data, &rs); err != nil {
		t.Fatal(err)
	}
	var errs []string
	for _, r := range rs {
		errs = append(errs, r.Error)
	}
	return cases, string(md), errs
}

// TestReportsOnCLIErrors runs the CLI into errors before and inside the
// stage and finds every report written with the error as an errored case.
func TestReportsOnCLIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		stage   string
		wantErr string
	}{
		{"input error before the stage runs", []string{"sandbox", "--timeout", "soon"}, "sandbox", `input timeout "soon": want a Go duration above 0, e.g. 10m or 90s`},
		{"config error", []string{"smoke", "--config", "missing.yml", "--smoke-command", "true"}, "smoke", "input config: missing.yml does not exist"},
		{"stage could not run", []string{"merge-check"}, "merge-check", "merge-check: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := t.TempDir()
			var out bytes.Buffer
			code := Run(t.Context(), append(tc.args, "--repo", repo, "--report-dir", "out"), IO{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &out})
			if code != ExitError {
				t.Fatalf("exit %d, want %d; output:\n%s", code, ExitError, out.String())
			}
			cases, md, errs := readReports(t, filepath.Join(repo, "out"), tc.stage)
			if len(cases) != 1 || cases[0].Name != tc.stage || !strings.HasPrefix(cases[0].Error, tc.wantErr) {
				t.Errorf("JUnit cases %+v, want one errored case %s starting %q", cases, tc.stage, tc.wantErr)
			}
			if !strings.Contains(md, "could not run") || !strings.Contains(md, tc.wantErr) {
				t.Errorf("markdown does not show the error:\n%s", md)
			}
			if len(errs) != 1 || !strings.HasPrefix(errs[0], tc.wantErr) {
				t.Errorf("JSON errors %q, want %q", errs, tc.wantErr)
			}
		})
	}
}

// TestNoReportsForAMistypedStage keeps a CLI typo from leaving files in
// the directory it was typed in.
func TestNoReportsForAMistypedStage(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	var out bytes.Buffer
	if code := Run(t.Context(), []string{"smok", "--repo", repo}, IO{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &out}); code != ExitError {
		t.Fatalf("exit %d, want %d", code, ExitError)
	}
	if entries, _ := os.ReadDir(repo); len(entries) != 0 {
		t.Errorf("a mistyped stage wrote %v", entries)
	}
}

// interrupted is a stage that has checked one thing when its context ends.
type interrupted struct{}

func (interrupted) Validate(*stage.Env) error { return nil }

func (interrupted) Run(ctx context.Context, _ *stage.Env) ([]report.Target, error) {
	<-ctx.Done()
	partial := result.Result{Stage: "smoke", Checks: []result.Check{{Name: "smoke/home"}}}
	return []report.Target{{Result: partial}}, ctx.Err()
}

// TestReportsOnInterrupt cancels a stage run as Ctrl-C does and finds the
// partial result and the interruption in every report, and the report
// outputs set for the artifact upload.
func TestReportsOnInterrupt(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	outputs := filepath.Join(t.TempDir(), "output")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outputs, "GITHUB_STEP_SUMMARY": filepath.Join(t.TempDir(), "summary")}
	var log bytes.Buffer
	rt := actionio.New(func(k string) string { return env[k] }, &log)
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	sys := IO{Now: now, Sleep: sleep, Stdout: &log, Stderr: &log}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	in := stage.Inputs{Stage: "smoke", Repo: repo, ReportDir: "out"}
	code := execute(ctx, interrupted{}, &stage.Env{Inputs: in, RT: rt, Now: now, Sleep: sleep}, sys, func(err error) int {
		rt.Errorf("%v", err)
		return ExitError
	})
	if code != ExitError {
		t.Fatalf("exit %d, want %d; log:\n%s", code, ExitError, log.String())
	}
	const want = "smoke: interrupted before the stage finished: context canceled"
	cases, md, _ := readReports(t, filepath.Join(repo, "out"), "smoke")
	if diff := cmp.Diff([]reportCase{{Name: "smoke/home"}, {Name: "smoke", Error: want}}, cases); diff != "" {
		t.Errorf("JUnit cases (-want +got):\n%s", diff)
	}
	if !strings.Contains(md, want) {
		t.Errorf("markdown lacks %q:\n%s", want, md)
	}
	data, err := os.ReadFile(outputs)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"out/smoke.junit.xml", "out/smoke.md", "failure"} {
		if !strings.Contains(string(data), w) {
			t.Errorf("outputs lack %q:\n%s", w, data)
		}
	}
	summary, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if err != nil || !strings.Contains(string(summary), want) {
		t.Errorf("step summary lacks %q (%v):\n%s", want, err, summary)
	}
}
