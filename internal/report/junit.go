package report

import (
	"bufio"
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
// is held in memory besides the targets. A case that simply passed is
// written directly; the others go through encoding/xml.
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
	bw := bufio.NewWriter(w)
	x := xmlWriter{w: bw}
	// The layout is encoding/xml's with Indent("", "\t"): an element
	// without children closes on its own line.
	bw.WriteString(`<testsuites`)
	x.attr("name", "shipgate")
	x.count("tests", all.tests)
	x.count("errors", all.errors)
	x.count("failures", all.failures)
	x.count("skipped", all.skipped)
	bw.WriteString(">")
	for i, t := range targets {
		n := count(t)
		name := "shipgate/" + t.Result.Stage
		if t.Label != "" {
			name += " " + t.Label
		}
		bw.WriteString("\n\t<testsuite")
		x.attr("name", name)
		x.attr("tests", strconv.Itoa(n.tests))
		x.attr("failures", strconv.Itoa(n.failures))
		x.attr("errors", strconv.Itoa(n.errors))
		x.attr("id", strconv.Itoa(i))
		x.count("skipped", n.skipped)
		x.attr("time", seconds(t.Result.Finished.Sub(t.Result.Started)))
		if !t.Result.Started.IsZero() {
			x.attr("timestamp", t.Result.Started.Format(time.RFC3339))
		}
		bw.WriteString(">")
		for _, c := range t.Result.Checks {
			if err := x.testcase(testcase(t.Result.Stage, c)); err != nil {
				return err
			}
		}
		if t.Error != "" {
			if err := x.testcase(errored(t.Result.Stage, t.Error)); err != nil {
				return err
			}
		}
		if n.tests > 0 {
			bw.WriteString("\n\t")
		}
		bw.WriteString("</testsuite>")
	}
	if len(targets) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("</testsuites>\n")
	return bw.Flush()
}

// xmlWriter writes the parts of a JUnit document.
type xmlWriter struct{ w *bufio.Writer }

// attr writes ` name="value"`, the value escaped as encoding/xml does.
func (x xmlWriter) attr(name, value string) {
	x.w.WriteByte(' ')
	x.w.WriteString(name)
	x.w.WriteString(`="`)
	if plainXML(value) {
		x.w.WriteString(value)
	} else {
		xml.EscapeText(x.w, []byte(value))
	}
	x.w.WriteByte('"')
}

// count writes a count attribute when it is not zero.
func (x xmlWriter) count(name string, n int) {
	if n != 0 {
		x.attr(name, strconv.Itoa(n))
	}
}

// testcase writes one case at depth 2: a case that only has a name, a
// class and a time directly, any other through encoding/xml.
func (x xmlWriter) testcase(tc junit.Testcase) error {
	x.w.WriteString("\n")
	if tc == (junit.Testcase{Name: tc.Name, Classname: tc.Classname, Time: tc.Time}) {
		x.w.WriteString("\t\t<testcase")
		x.attr("name", tc.Name)
		x.attr("classname", tc.Classname)
		x.attr("time", tc.Time)
		x.w.WriteString("></testcase>")
		return nil
	}
	enc := xml.NewEncoder(x.w)
	enc.Indent("\t\t", "\t")
	if err := enc.EncodeElement(tc, xml.StartElement{Name: xml.Name{Local: "testcase"}}); err != nil {
		return err
	}
	return enc.Flush()
}

// plainXML reports whether s is printable ASCII that XML needs no escape
// for.
func plainXML(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\'', c == '&', c == '<', c == '>':
			return false
		}
	}
	return true
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
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}
