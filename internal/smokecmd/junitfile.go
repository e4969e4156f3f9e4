package smokecmd

import (
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/shipgate/shipgate/internal/result"
)

// JUnitCheck is the name of the check that the command wrote a readable
// Options.JUnitFile.
const JUnitCheck = "smoke-command/junit-file"

// junitPath is where the JUnit file is, or empty when none is expected.
func (o Options) junitPath() string {
	if o.JUnitFile == "" || filepath.IsAbs(o.JUnitFile) {
		return o.JUnitFile
	}
	return filepath.Join(o.Dir, o.JUnitFile)
}

// stamp tells whether a file changed: it is zero when the file is missing.
type stamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) stamp {
	if path == "" {
		return stamp{}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	return stamp{fi.ModTime(), fi.Size()}
}

// readJUnitFile reads the JUnit XML the command wrote; a missing, stale or
// unreadable file is a failure of the returned check, named as given.
func readJUnitFile(name, path string, before stamp) (junit.Testsuites, result.Check) {
	c := result.Check{Name: JUnitCheck, Description: fmt.Sprintf("reads the JUnit XML the command writes to %s", name)}
	fail := func(title, msg string) (junit.Testsuites, result.Check) {
		c.Findings = []result.Finding{{Check: c.Name, Level: result.Failure, Title: title, Message: msg}}
		return junit.Testsuites{}, c
	}
	now := stampOf(path)
	switch {
	case now == stamp{}:
		return fail("the command did not write "+name,
			fmt.Sprintf("%s does not exist after the run: make the command write its JUnit XML there, or leave the JUnit file unset", name))
	case now == before:
		return fail("the command did not write "+name,
			fmt.Sprintf("%s is unchanged since before the run (an earlier run's report): make the command write its JUnit XML there", name))
	}
	f, err := os.Open(path)
	if err != nil {
		return fail("cannot read "+name, err.Error())
	}
	defer f.Close()
	suites, err := decodeJUnit(f)
	if err != nil {
		return fail(name+" is not JUnit XML", fmt.Sprintf("parse %s: %v", name, err))
	}
	return suites, c
}

// decodeJUnit reads a <testsuites> document, or a lone <testsuite> as many
// tools write.
func decodeJUnit(r io.Reader) (junit.Testsuites, error) {
	dec := xml.NewDecoder(r)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return junit.Testsuites{}, errors.New("no root element: want <testsuites> or <testsuite>")
		}
		if err != nil {
			return junit.Testsuites{}, err
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var suites junit.Testsuites
		switch start.Name.Local {
		case "testsuites":
			err = dec.DecodeElement(&suites, &start)
		case "testsuite":
			var s junit.Testsuite
			if err = dec.DecodeElement(&s, &start); err == nil {
				suites.AddSuite(s)
			}
		default:
			err = fmt.Errorf("root element <%s>: want <testsuites> or <testsuite>", start.Name.Local)
		}
		return suites, err
	}
}

// junitChecks turns every test case of a JUnit report into a check named
// "junit/<classname>/<name>" (the suite's name when a case has no class).
func junitChecks(suites junit.Testsuites) []result.Check {
	var checks []result.Check
	names := uniqueNames{}
	for _, s := range suites.Suites {
		for _, tc := range s.Testcases {
			group := tc.Classname
			if group == "" {
				group = s.Name
			}
			name := "junit/" + tc.Name
			if group != "" && !strings.HasPrefix(tc.Name, group) {
				name = "junit/" + group + "/" + tc.Name
			}
			c := result.Check{Name: names.of(name), Description: fmt.Sprintf("test case %q of suite %q", tc.Name, s.Name), Duration: seconds(tc.Time)}
			switch {
			case tc.Failure != nil || tc.Error != nil:
				res, verb := tc.Failure, " failed"
				if res == nil {
					res, verb = tc.Error, " errored"
				}
				c.Findings = []result.Finding{failure(c.Name, tc.Name+verb, evidence(res, tc), "the report gives no details")}
			case tc.Skipped != nil:
				c.Skipped = cmp.Or(tc.Skipped.Message, strings.TrimSpace(tc.Skipped.Data), "skipped")
			}
			checks = append(checks, c)
		}
	}
	return checks
}

// evidence is a failed case's message and details, else its output.
func evidence(res *junit.Result, tc junit.Testcase) string {
	parts := []string{strings.TrimSpace(res.Message), strings.TrimSpace(res.Data)}
	if parts[0] == "" && parts[1] == "" {
		for _, o := range []*junit.Output{tc.SystemOut, tc.SystemErr} {
			if o != nil {
				parts = append(parts, strings.TrimSpace(o.Data))
			}
		}
	}
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return lastLines(strings.Split(strings.Join(kept, "\n"), "\n"), 0)
}

// seconds reads a JUnit time attribute; a missing or odd one is zero.
func seconds(s string) time.Duration {
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil || f < 0 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}
