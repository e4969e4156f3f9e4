package smokecmd

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/gtr"

	"github.com/shipgate/shipgate/internal/result"
)

// maxMessage bounds a finding's message; the last lines are kept.
const maxMessage = 8 << 10

// commandCheck is the check of the command's own exit status. When failing
// tests explain a non-zero status it names them; otherwise the command's last
// lines are the evidence.
func commandCheck(command string, r *run, tests []result.Check, d time.Duration) result.Check {
	c := result.Check{
		Name:        CommandCheck,
		Description: fmt.Sprintf("runs %q and passes when it exits with status 0", command),
		Duration:    d,
	}
	var title string
	switch {
	case r.stopped != "":
		title = "smoke-command was stopped: " + r.stopped
	case r.signal != "":
		title = "smoke-command was killed by signal " + r.signal
	case r.exitCode != 0:
		title = fmt.Sprintf("smoke-command exited with status %d", r.exitCode)
	default:
		return c
	}
	var failed []string
	for _, t := range tests {
		if t.Failed() {
			failed = append(failed, t.Name)
		}
	}
	msg := r.sink.last()
	switch {
	case r.stopped == "" && len(failed) > 0:
		msg = fmt.Sprintf("%d test(s) failed: %s", len(failed), strings.Join(failed[:min(len(failed), 10)], ", "))
		if len(failed) > 10 {
			msg += ", …"
		}
	case msg == "":
		msg = "the command printed nothing"
	default:
		msg = "the last lines of its output:\n" + msg
	}
	c.Findings = []result.Finding{{Check: c.Name, Level: result.Failure, Title: title, Message: msg}}
	return c
}

// goTestChecks turns a go test report into one check per test, plus one per
// package that failed to build or failed outside its tests.
func goTestChecks(rep goTestReport, loc locator) []result.Check {
	var checks []result.Check
	names := uniqueNames{}
	for _, pkg := range rep.Packages {
		prefix, in := "go test", ""
		if pkg.Name != "" {
			prefix, in = prefix+"/"+pkg.Name, " in "+pkg.Name
		}
		if e := pkg.BuildError; e.Name != "" {
			c := result.Check{Name: names.of(prefix), Description: "builds package " + pkg.Name + " and its tests", Duration: e.Duration}
			f := failure(c.Name, pkg.Name+" did not build", lastLines(e.Output), "go test printed no compiler output")
			f.Path, f.Line, f.Column = loc.inBuild(e.Output)
			c.Findings = []result.Finding{f}
			checks = append(checks, c)
		}
		for _, t := range pkg.Tests {
			c := result.Check{Name: names.of(prefix + "/" + t.Name), Description: "go test " + t.Name + in, Duration: t.Duration}
			output := slices.Concat(t.Output, rep.after[testKey{pkg.Name, t.Name}])
			switch t.Result {
			case gtr.Skip:
				c.Skipped = skipReason(output)
			case gtr.Fail, gtr.Unknown:
				title := t.Name + " failed"
				if t.Result == gtr.Unknown {
					title = t.Name + " did not finish (the output has no result for it)"
				}
				f := failure(c.Name, title, lastLines(dedent(output)), failedSubtests(t.Name, pkg.Tests))
				f.Path, f.Line = loc.inTest(pkg.Name, output)
				c.Findings = []result.Finding{f}
			}
			checks = append(checks, c)
		}
		if e := pkg.RunError; e.Name != "" {
			c := result.Check{Name: names.of(prefix), Description: "runs the tests of package " + pkg.Name, Duration: pkg.Duration}
			c.Findings = []result.Finding{failure(c.Name, pkg.Name+" failed outside its tests", lastLines(e.Output),
				"go test reported FAIL for the package and no test failed (TestMain, init, or an exit outside a test): see the log")}
			checks = append(checks, c)
		}
	}
	return checks
}

// failure is a failure finding with msg as its message, or fallback when msg is empty.
func failure(check, title, msg, fallback string) result.Finding {
	if strings.TrimSpace(msg) == "" {
		msg = fallback
	}
	return result.Finding{Check: check, Level: result.Failure, Title: title, Message: msg}
}

// failedSubtests names the failing subtests of the test called name: the
// explanation of a parent test that printed nothing itself.
func failedSubtests(name string, tests []gtr.Test) string {
	var subs []string
	for _, t := range tests {
		if (t.Result == gtr.Fail || t.Result == gtr.Unknown) && strings.HasPrefix(t.Name, name+"/") {
			subs = append(subs, t.Name)
		}
	}
	if len(subs) == 0 {
		return "the test printed nothing: see the log"
	}
	return "failing subtests: " + strings.Join(subs, ", ")
}

// skipReason is what a skipped test said, without the place it said it.
func skipReason(output []string) string {
	var said []string
	for _, s := range output {
		if m := logLine.FindStringSubmatchIndex(s); m != nil {
			s = s[m[1]:]
		}
		if s = strings.TrimSpace(s); s != "" {
			said = append(said, s)
		}
	}
	if len(said) == 0 {
		return "skipped"
	}
	return clip(strings.Join(said, "\n"))
}

// dedent removes the indentation all non-blank lines share (go test
// indents a test's output by its depth).
func dedent(lines []string) []string {
	indent := -1
	for _, s := range lines {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n := len(s) - len(strings.TrimLeft(s, " "))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	if indent <= 0 {
		return lines
	}
	out := make([]string, len(lines))
	for i, s := range lines {
		out[i] = strings.TrimPrefix(s, strings.Repeat(" ", indent))
	}
	return out
}

// lastLines joins the last tailLines of lines, saying how many came before.
func lastLines(lines []string) string {
	if len(lines) > tailLines {
		lines = append([]string{fmt.Sprintf("[… %d earlier lines in the log]", len(lines)-tailLines)}, lines[len(lines)-tailLines:]...)
	}
	return clip(strings.Join(lines, "\n"))
}

// clip keeps the end of s within maxMessage bytes, starting at a whole line.
func clip(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := s[len(s)-maxMessage:]
	if i := strings.IndexByte(cut, '\n'); i >= 0 && i < len(cut)-1 {
		cut = cut[i+1:]
	}
	return "[… cut to the last lines]\n" + strings.ToValidUTF8(cut, "")
}

// uniqueNames makes check names unique: a test run twice (go test -count=2,
// a retry) becomes "name", "name#2".
type uniqueNames map[string]int

func (u uniqueNames) of(name string) string {
	u[name]++
	if n := u[name]; n > 1 {
		return fmt.Sprintf("%s#%d", name, n)
	}
	return name
}
