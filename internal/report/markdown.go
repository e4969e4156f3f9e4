package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/shipgate/shipgate/internal/result"
)

// MaxListedPasses is how many passed checks a target's check table lists
// one by one; a target with more lists the checks that did not pass and
// counts the passed ones per group, with the slowest of them.
const MaxListedPasses = 50

// slowest is how many of the slowest passed checks a counted table names.
const slowest = 10

// Markdown renders targets as markdown of at most limit bytes: per target a
// headline, the table of checks and the table of findings. Checks that
// failed, were skipped or warned are listed; passed ones too when there are
// few, else counted per group (a go test package, the path before a check
// name's last part). What does not fit is counted in a last line that says
// where it is (more).
func Markdown(targets []Target, limit int, more string) string {
	total := 0
	for _, t := range targets {
		for _, c := range t.Result.Checks {
			total += len(c.Findings)
		}
	}
	// Reserve room for the notes of what did not fit; they name counts, so
	// give them slack.
	note := func(left int) string {
		return fmt.Sprintf("\n> **%d more finding(s) did not fit here.** %s\n", left, more)
	}
	budget := limit - len(note(total)) - len(checksNote(total, more))
	written := 0
	var b strings.Builder
	for _, t := range targets {
		var h strings.Builder
		writeHeader(&h, t)
		if b.Len()+h.Len() > budget {
			break
		}
		b.WriteString(h.String())
		if !hasFindings(t) {
			writeChecks(&b, t, budget, more)
			continue
		}
		writeChecks(&b, t, b.Len()+(budget-b.Len())/2, more)
		const th = "\n| level | location | object | finding |\n|---|---|---|---|\n"
		if b.Len()+len(th) > budget {
			continue
		}
		b.WriteString(th)
		for _, c := range t.Result.Checks {
			for _, f := range c.Findings {
				r := findingRow(f)
				if b.Len()+len(r) > budget {
					break
				}
				b.WriteString(r)
				written++
			}
		}
	}
	if written < total {
		b.WriteString(note(total - written))
	}
	return b.String()
}

func hasFindings(t Target) bool {
	for _, c := range t.Result.Checks {
		if len(c.Findings) > 0 {
			return true
		}
	}
	return false
}

func checksNote(left int, more string) string {
	return fmt.Sprintf("\n> **%d more check(s) that did not pass are not listed here.** %s\n", left, more)
}

func writeHeader(b *strings.Builder, t Target) {
	r := t.Result
	title := "shipgate / " + r.Stage
	if t.Label != "" {
		title += " — " + t.Label
	}
	status := "✅ passed"
	switch {
	case t.Error != "":
		status = "💥 could not run"
	case r.Failed():
		status = "❌ failed"
	}
	fmt.Fprintf(b, "### %s: %s\n\n", escape(title), status)
	if t.Error != "" {
		fmt.Fprintf(b, "> %s\n\n", escape(t.Error))
	}
	if r.Title != "" {
		fmt.Fprintf(b, "%s\n\n", escape(r.Title))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "- %s\n", escape(n))
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}
}

// writeChecks writes the table of t's checks, its rows up to b.Len() of
// end: every check when few passed, else those that did not pass and a
// table of the passed ones per group.
func writeChecks(b *strings.Builder, t Target, end int, more string) {
	passes := 0
	for _, c := range t.Result.Checks {
		if checkRow(c) == "" {
			passes++
		}
	}
	listAll := passes <= MaxListedPasses
	var counted string
	if !listAll {
		counted = countPasses(t, passes, (end-b.Len())/2, more)
		end -= len(counted)
	}
	const th = "| check | result | failures | warnings |\n|---|---|---|---|\n"
	if listAll || passes < len(t.Result.Checks) {
		b.WriteString(th)
	}
	left := 0
	for _, c := range t.Result.Checks {
		row := checkRow(c)
		if row == "" {
			if !listAll {
				continue
			}
			row = fmt.Sprintf("| `%s` | ✅ passed | 0 | 0 |\n", c.Name)
		}
		if left > 0 || b.Len()+len(row) > end {
			left++
			continue
		}
		b.WriteString(row)
	}
	if left > 0 {
		b.WriteString(checksNote(left, more))
	}
	b.WriteString(counted)
}

// checkRow is the table row of a check that did not simply pass; empty for
// one that did.
func checkRow(c result.Check) string {
	fails, warns := 0, 0
	for _, f := range c.Findings {
		switch f.Level {
		case result.Failure:
			fails++
		case result.Warning:
			warns++
		}
	}
	var state string
	switch {
	case c.Skipped != "":
		state = "⏭️ skipped: " + escape(c.Skipped)
	case fails > 0:
		state = "❌ failed"
	case warns > 0:
		state = "⚠️ passed with warnings"
	default:
		return ""
	}
	return fmt.Sprintf("| `%s` | %s | %d | %d |\n", c.Name, state, fails, warns)
}

// countPasses counts t's passed checks per group and names the slowest, in
// at most size bytes.
func countPasses(t Target, passes, size int, more string) string {
	type group struct {
		name  string
		n     int
		spent time.Duration
	}
	var groups []*group
	byName := map[string]*group{}
	var slow []result.Check // the slowest, slowest first
	for _, c := range t.Result.Checks {
		if checkRow(c) != "" {
			continue
		}
		name := groupOf(c.Name)
		g := byName[name]
		if g == nil {
			g = &group{name: name}
			byName[name] = g
			groups = append(groups, g)
		}
		g.n++
		g.spent += c.Duration
		if len(slow) < slowest || c.Duration > slow[len(slow)-1].Duration {
			i, _ := slices.BinarySearchFunc(slow, c.Duration, func(s result.Check, d time.Duration) int { return cmp.Compare(d, s.Duration) })
			for i < len(slow) && slow[i].Duration == c.Duration {
				i++
			}
			slow = slices.Insert(slow, i, c)
			slow = slow[:min(len(slow), slowest)]
		}
	}
	head := fmt.Sprintf("\n**%d checks passed**; they are counted here, not listed. %s\n", passes, more)
	var tail strings.Builder
	tail.WriteString("\n| slowest passed | time |\n|---|---|\n")
	for _, c := range slow {
		fmt.Fprintf(&tail, "| `%s` | %s |\n", c.Name, c.Duration.Round(time.Millisecond))
	}
	const th = "\n| passed in | checks | time |\n|---|---|---|\n"
	if len(head)+len(th)+tail.Len()+100 > size {
		return head
	}
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(th)
	room := size - tail.Len() - 100
	left := 0
	for _, g := range groups {
		row := fmt.Sprintf("| `%s` | %d | %s |\n", g.name, g.n, g.spent.Round(time.Millisecond))
		if left > 0 || b.Len()+len(row) > room {
			left++
			continue
		}
		b.WriteString(row)
	}
	if left > 0 {
		fmt.Fprintf(&b, "| %d more group(s) | | |\n", left)
	}
	b.WriteString(tail.String())
	return b.String()
}

// groupOf is the group a check is counted in: for go test checks
// ("go test/<package>/<Test>/<subtest>") the package, else the name
// without its last part.
func groupOf(name string) string {
	for i := strings.IndexByte(name, '/'); i >= 0; {
		part, _, more := strings.Cut(name[i+1:], "/")
		for _, kind := range []string{"Test", "Example", "Fuzz", "Benchmark"} {
			if rest, ok := strings.CutPrefix(part, kind); ok && (rest == "" || !unicode.IsLower(rune(rest[0]))) {
				return name[:i]
			}
		}
		if !more {
			break
		}
		i += 1 + len(part)
	}
	if i := strings.LastIndexByte(name, '/'); i > 0 {
		return name[:i]
	}
	return "(ungrouped)"
}

func findingRow(f result.Finding) string {
	icon := map[result.Level]string{result.Failure: "❌ failure", result.Warning: "⚠️ warning", result.Notice: "ℹ️ notice"}[f.Level]
	loc := f.Location()
	if loc != "" {
		loc = "`" + strings.ReplaceAll(loc, "`", "'") + "`"
	}
	obj := ""
	if f.Object != "" {
		obj = "`" + f.Object + "`"
	}
	msg := "**" + escape(f.Title) + "**"
	if f.Message != "" {
		msg += "<br>" + escape(f.Message)
	}
	return fmt.Sprintf("| %s | %s | %s | %s |\n", icon, loc, obj, msg)
}

// escape keeps text inside one markdown table cell.
func escape(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", "<br>")
}
