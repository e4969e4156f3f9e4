package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/shipgate/shipgate/internal/result"
)

// JUnit builds one test suite per target and one test case per check. Test
// case names are the checks' stable names; a failed case carries every
// failure with its location, warnings go to the case's system-out.
func JUnit(targets []Target) junit.Testsuites {
	var suites junit.Testsuites
	suites.Name = "shipgate"
	for i, t := range targets {
		name := "shipgate/" + t.Result.Stage
		if t.Label != "" {
			name += " " + t.Label
		}
		suite := junit.Testsuite{
			Name: name,
			ID:   i,
			Time: seconds(t.Result.Finished.Sub(t.Result.Started)),
		}
		if !t.Result.Started.IsZero() {
			suite.SetTimestamp(t.Result.Started)
		}
		for _, c := range t.Result.Checks {
			suite.AddTestcase(testcase(t.Result.Stage, c))
		}
		if t.Error != "" {
			suite.AddTestcase(errored(t.Result.Stage, t.Error))
		}
		suites.AddSuite(suite)
	}
	return suites
}

// WriteJUnit writes the JUnit XML of targets to w.
func WriteJUnit(w io.Writer, targets []Target) error {
	s := JUnit(targets)
	if err := s.WriteXML(w); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

func testcase(stage string, c result.Check) junit.Testcase {
	tc := junit.Testcase{
		Name:      c.Name,
		Classname: "shipgate." + stage,
		Time:      seconds(c.Duration),
	}
	if c.Skipped != "" {
		tc.Skipped = &junit.Result{Message: c.Skipped}
		return tc
	}
	var failures, others []string
	for _, f := range c.Findings {
		if f.Level == result.Failure {
			failures = append(failures, line(f))
		} else {
			others = append(others, line(f))
		}
	}
	if len(failures) > 0 {
		msg := fmt.Sprintf("%d failure(s): %s", len(failures), firstTitle(c.Findings))
		tc.Failure = &junit.Result{Message: msg, Type: c.Name, Data: strings.Join(failures, "\n")}
	}
	if len(others) > 0 {
		tc.SystemOut = &junit.Output{Data: strings.Join(others, "\n")}
	}
	return tc
}

// errored is the case of a stage that could not run: a JUnit <error>
// (not a <failure>: nothing was found wrong, the check did not finish).
func errored(stage, err string) junit.Testcase {
	msg, _, _ := strings.Cut(err, "\n")
	return junit.Testcase{
		Name:      stage,
		Classname: "shipgate." + stage,
		Time:      seconds(0),
		Error:     &junit.Result{Message: msg, Type: "error", Data: err},
	}
}

func firstTitle(fs []result.Finding) string {
	for _, f := range fs {
		if f.Level == result.Failure {
			return f.Title
		}
	}
	return ""
}

// line renders a finding as "path:line:col: level: title: message".
func line(f result.Finding) string {
	var b strings.Builder
	if loc := f.Location(); loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s: %s", f.Level, f.Title)
	if f.Object != "" {
		fmt.Fprintf(&b, " [%s]", f.Object)
	}
	if f.Message != "" {
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%.3f", d.Seconds())
}
