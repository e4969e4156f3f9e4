package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
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

// WriteJUnit writes the JUnit XML of targets to w, the same document as
// JUnit(targets).WriteXML, one test case at a time: no more than one case
// is held in memory besides the targets.
func WriteJUnit(w io.Writer, targets []Target) error {
	if err := writeJUnit(w, targets); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

func writeJUnit(w io.Writer, targets []Target) error {
	type counts struct{ tests, failures, errors, skipped int }
	count := func(t Target) (n counts) {
		for _, c := range t.Result.Checks {
			n.tests++
			switch {
			case c.Skipped != "":
				n.skipped++
			case c.Failed():
				n.failures++
			}
		}
		if t.Error != "" {
			n.tests++
			n.errors++
		}
		return n
	}
	var all counts
	for _, t := range targets {
		n := count(t)
		all.tests, all.failures, all.errors, all.skipped = all.tests+n.tests, all.failures+n.failures, all.errors+n.errors, all.skipped+n.skipped
	}
	attr := func(name, value string) xml.Attr { return xml.Attr{Name: xml.Name{Local: name}, Value: value} }
	nonZero := func(attrs []xml.Attr, name string, n int) []xml.Attr {
		if n != 0 {
			attrs = append(attrs, attr(name, strconv.Itoa(n)))
		}
		return attrs
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "\t")
	root := xml.StartElement{Name: xml.Name{Local: "testsuites"}, Attr: []xml.Attr{attr("name", "shipgate")}}
	root.Attr = nonZero(root.Attr, "tests", all.tests)
	root.Attr = nonZero(root.Attr, "errors", all.errors)
	root.Attr = nonZero(root.Attr, "failures", all.failures)
	root.Attr = nonZero(root.Attr, "skipped", all.skipped)
	if err := enc.EncodeToken(root); err != nil {
		return err
	}
	for i, t := range targets {
		n := count(t)
		name := "shipgate/" + t.Result.Stage
		if t.Label != "" {
			name += " " + t.Label
		}
		suite := xml.StartElement{Name: xml.Name{Local: "testsuite"}, Attr: []xml.Attr{
			attr("name", name), attr("tests", strconv.Itoa(n.tests)), attr("failures", strconv.Itoa(n.failures)),
			attr("errors", strconv.Itoa(n.errors)), attr("id", strconv.Itoa(i)),
		}}
		suite.Attr = nonZero(suite.Attr, "skipped", n.skipped)
		suite.Attr = append(suite.Attr, attr("time", seconds(t.Result.Finished.Sub(t.Result.Started))))
		if !t.Result.Started.IsZero() {
			suite.Attr = append(suite.Attr, attr("timestamp", t.Result.Started.Format(time.RFC3339)))
		}
		if err := enc.EncodeToken(suite); err != nil {
			return err
		}
		cases := func(yield func(junit.Testcase) bool) {
			for _, c := range t.Result.Checks {
				if !yield(testcase(t.Result.Stage, c)) {
					return
				}
			}
			if t.Error != "" {
				yield(errored(t.Result.Stage, t.Error))
			}
		}
		for tc := range cases {
			if err := enc.EncodeElement(tc, xml.StartElement{Name: xml.Name{Local: "testcase"}}); err != nil {
				return err
			}
		}
		if err := enc.EncodeToken(suite.End()); err != nil {
			return err
		}
	}
	if err := enc.EncodeToken(root.End()); err != nil {
		return err
	}
	if err := enc.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
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
