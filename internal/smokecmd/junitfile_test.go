package smokecmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/result"
)

func TestJUnitFileChecks(t *testing.T) {
	t.Parallel()
	fail := func(check, title, msg string) []result.Finding {
		return []result.Finding{{Check: check, Level: result.Failure, Title: title, Message: msg}}
	}
	for _, tc := range []struct {
		name, xml string
		file      []result.Finding // findings of the JUnitCheck
		tests     []result.Check
	}{
		{
			name: "testsuites from pytest",
			xml: `<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4" failures="1" errors="1" skipped="1" time="1.5">
  <testcase classname="tests.test_api" name="test_health" time="0.25"/>
  <testcase classname="tests.test_api" name="test_orders" time="1,000.5"><failure message="assert 503 == 200">tests/test_api.py:14: in test_orders
    assert r.status_code == 200
E   assert 503 == 200</failure></testcase>
  <testcase classname="tests.test_api" name="test_login"><error message="fixture 'client' not found"/></testcase>
  <testcase classname="tests.test_api" name="test_admin"><skipped message="needs ADMIN_TOKEN"/></testcase>
  <testcase classname="tests.test_api" name="test_health" time="0.1"/>
</testsuite></testsuites>`,
			tests: []result.Check{
				{Name: "junit/tests.test_api/test_health", Description: `test case "test_health" of suite "pytest"`, Duration: 250 * time.Millisecond},
				{Name: "junit/tests.test_api/test_orders", Description: `test case "test_orders" of suite "pytest"`, Duration: 1000500 * time.Millisecond,
					Findings: fail("junit/tests.test_api/test_orders", "test_orders failed", "assert 503 == 200\ntests/test_api.py:14: in test_orders\n    assert r.status_code == 200\nE   assert 503 == 200")},
				{Name: "junit/tests.test_api/test_login", Description: `test case "test_login" of suite "pytest"`,
					Findings: fail("junit/tests.test_api/test_login", "test_login errored", "fixture 'client' not found")},
				{Name: "junit/tests.test_api/test_admin", Description: `test case "test_admin" of suite "pytest"`, Skipped: "needs ADMIN_TOKEN"},
				{Name: "junit/tests.test_api/test_health#2", Description: `test case "test_health" of suite "pytest"`, Duration: 100 * time.Millisecond},
			},
		},
		{
			name: "lone testsuite from jest, output as evidence",
			xml: `<testsuite name="checkout" tests="2">
  <testcase classname="checkout pays" name="checkout pays with a card" time="0.5"/>
  <testcase classname="" name="refunds"><failure/><system-out>POST /refunds
500 Internal Server Error</system-out></testcase>
</testsuite>`,
			tests: []result.Check{
				{Name: "junit/checkout pays with a card", Description: `test case "checkout pays with a card" of suite "checkout"`, Duration: 500 * time.Millisecond},
				{Name: "junit/checkout/refunds", Description: `test case "refunds" of suite "checkout"`,
					Findings: fail("junit/checkout/refunds", "refunds failed", "POST /refunds\n500 Internal Server Error")},
			},
		},
		{name: "malformed", xml: `<testsuites><testsuite name="x"><testcase name="a"></testsuite>`,
			file: fail(JUnitCheck, "report.xml is not JUnit XML", "parse report.xml: XML syntax error on line 1: element <testcase> closed by </testsuite>")},
		{name: "not junit", xml: `<html><body>502 Bad Gateway</body></html>`,
			file: fail(JUnitCheck, "report.xml is not JUnit XML", "parse report.xml: root element <html>: want <testsuites> or <testsuite>")},
		{name: "empty", xml: ``,
			file: fail(JUnitCheck, "report.xml is not JUnit XML", "parse report.xml: no root element: want <testsuites> or <testsuite>")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "report.xml")
			if err := os.WriteFile(path, []byte(tc.xml), 0o644); err != nil {
				t.Fatal(err)
			}
			suites, c := readJUnitFile("report.xml", path, stamp{})
			want := result.Check{Name: JUnitCheck, Description: "reads the JUnit XML the command writes to report.xml", Findings: tc.file}
			if diff := cmp.Diff(want, c); diff != "" {
				t.Errorf("file check (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.tests, junitChecks(suites)); diff != "" {
				t.Errorf("test checks (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunJUnitFile runs commands that write (or fail to write) a JUnit file.
func TestRunJUnitFile(t *testing.T) {
	t.Parallel()
	const report = `<testsuites><testsuite name="smoke"><testcase classname="api" name="health"/><testcase classname="api" name="orders"><failure message="503"/></testcase></testsuite></testsuites>`
	for _, tc := range []struct {
		name, command string
		before        string // the file's content before the run; empty for none
		wantFile      string // the JUnitCheck's failure title; empty for a pass
		wantTests     []string
		wantFailed    []string
	}{
		{name: "written", command: "mkdir -p out && cat > out/report.xml <<'EOF'\n" + report + "\nEOF\nexit 1",
			wantTests: []string{"junit/api/health", "junit/api/orders"}, wantFailed: []string{CommandCheck, "junit/api/orders"}},
		{name: "not written", command: "echo tests passed",
			wantFile: "the command did not write out/report.xml", wantFailed: []string{JUnitCheck}},
		{name: "left from an earlier run", command: "echo tests passed", before: report,
			wantFile: "the command did not write out/report.xml", wantFailed: []string{JUnitCheck}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tc.before != "" {
				p := filepath.Join(dir, "out", "report.xml")
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(tc.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, err := Run(t.Context(), Options{Command: tc.command, Dir: dir, JUnitFile: "out/report.xml", Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			if out.Format != JUnitXML || len(out.Checks) < 2 || out.Checks[1].Name != JUnitCheck {
				t.Fatalf("format %q, checks %+v: want junit with the file's check second", out.Format, out.Checks)
			}
			var title string
			if f := out.Checks[1].Findings; len(f) > 0 {
				title = f[0].Title
			}
			if title != tc.wantFile {
				t.Errorf("file check failure %q, want %q", title, tc.wantFile)
			}
			var tests, failed []string
			for _, c := range out.Checks {
				if strings.HasPrefix(c.Name, "junit/") {
					tests = append(tests, c.Name)
				}
				if c.Failed() {
					failed = append(failed, c.Name)
				}
			}
			if diff := cmp.Diff(tc.wantTests, tests); diff != "" {
				t.Errorf("test checks (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantFailed, failed); diff != "" {
				t.Errorf("failed checks (-want +got):\n%s", diff)
			}
		})
	}
}
