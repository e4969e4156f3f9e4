package smokecmd

import (
	"fmt"
	"slices"
	"strings"
	"time"

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

// packageChecks appends to checks a completed package's: one check per
// test, plus one when it failed to build or failed outside its tests.
func packageChecks(checks []result.Check, p goPackage, loc locator, names uniqueNames) []result.Check {
	prefix, in := "go test", ""
	if p.name != "" {
		prefix, in = prefix+"/"+p.name, " in "+p.name
	}
	if e := p.build; e != nil {
		out, earlier := e.output.all()
		c := result.Check{Name: names.of(prefix), Description: "builds package " + p.name + " and its tests", Duration: p.duration}
		f := failure(c.Name, p.name+" did not build", lastLines(out, earlier), "go test printed no compiler output")
		f.Path, f.Line, f.Column = loc.inBuild(out)
		c.Findings = []result.Finding{f}
		checks = append(checks, c)
	}
	// The failing subtests of each test, in one pass: a parent test is a
	// prefix of its subtests' names up to a slash.
	failingSubs := map[string][]string{}
	for _, t := range p.tests {
		if t.outcome != failed && t.outcome != unknown {
			continue
		}
		for i := strings.IndexByte(t.name, '/'); i >= 0; i = nextSlash(t.name, i) {
			failingSubs[t.name[:i]] = append(failingSubs[t.name[:i]], t.name)
		}
	}
	for _, t := range p.tests {
		c := result.Check{Name: names.of(prefix + "/" + t.name), Description: "go test " + t.name + in, Duration: t.duration}
		if t.outcome != passed {
			out, earlier := t.output.all()
			after, afterEarlier := t.after.all()
			output := slices.Concat(out, after)
			earlier += afterEarlier
			switch t.outcome {
			case skipped:
				c.Skipped = skipReason(output)
			case failed, unknown:
				title := t.name + " failed"
				if t.outcome == unknown {
					title = t.name + " did not finish (the output has no result for it)"
				}
				f := failure(c.Name, title, lastLines(dedent(output), earlier), failedSubtests(failingSubs[t.name]))
				f.Path, f.Line = loc.inTest(p.name, output)
				c.Findings = []result.Finding{f}
			}
		}
		checks = append(checks, c)
	}
	if p.runError {
		out, earlier := p.output.all()
		c := result.Check{Name: names.of(prefix), Description: "runs the tests of package " + p.name, Duration: p.duration}
		c.Findings = []result.Finding{failure(c.Name, p.name+" failed outside its tests", lastLines(out, earlier),
			"go test reported FAIL for the package and no test failed (TestMain, init, or an exit outside a test): see the log")}
		checks = append(checks, c)
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

// failedSubtests names a test's failing subtests: the explanation of a
// parent test that printed nothing itself.
func failedSubtests(subs []string) string {
	if len(subs) == 0 {
		return "the test printed nothing: see the log"
	}
	return "failing subtests: " + strings.Join(subs, ", ")
}

// nextSlash is the index of the next '/' in name after i, or -1.
func nextSlash(name string, i int) int {
	j := strings.IndexByte(name[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
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

// lastLines joins the last tailLines of lines, saying how many came before
// them (earlier counts lines before the first of lines).
func lastLines(lines []string, earlier int) string {
	if n := len(lines) - tailLines; n > 0 || earlier > 0 {
		n = max(n, 0)
		lines = append([]string{fmt.Sprintf("[… %d earlier lines in the log]", n+earlier)}, lines[n:]...)
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
