package risk

import (
	"fmt"
	"strings"
)

// Heading opens the ranking's section of a summary.
const Heading = "#### Risk of the failures"

var icons = map[Level]string{High: "🔴 high", Medium: "🟠 medium", Low: "🟢 low"}

// Markdown renders the ranking as a summary section of at most limit
// bytes: where the history came from, then a row per failed case; rows
// that do not fit are counted. Without history it says so.
func Markdown(ranked []Ranked, h History, limit int) string {
	var b strings.Builder
	b.WriteString("\n" + Heading + "\n\n")
	base := h.BaseBranch
	if base == "" {
		base = "the base branch"
	} else {
		base = "`" + base + "`"
	}
	if len(h.Runs) == 0 {
		fmt.Fprintf(&b, "No history: none of the %d earlier run(s) looked at had shipgate's JUnit results", h.Looked)
		if h.Source != "" {
			fmt.Fprintf(&b, " (%s)", escape(h.Source))
		}
		b.WriteString(", so the failures are not ranked; each may come from this change.\n")
		writeNotes(&b, h)
		return cut(b.String(), limit)
	}
	onBase := 0
	for _, r := range h.Runs {
		if r.Base {
			onBase++
		}
	}
	fmt.Fprintf(&b, "Ranked by the JUnit results of %d earlier run(s): %d on %s, %d for other pull requests", len(h.Runs), onBase, base, len(h.Runs)-onBase)
	if h.Source != "" {
		fmt.Fprintf(&b, " (%s)", escape(h.Source))
	}
	b.WriteString(". **High**: never failed before, likely this change; **medium**: failed before, then recovered; **low**: failing on the base branch or flaky.\n")
	writeNotes(&b, h)
	const th = "\n| risk | case | verdict | evidence |\n|---|---|---|---|\n"
	b.WriteString(th)
	tail := func(n int) string { return fmt.Sprintf("\n> %d more failed case(s) are not listed here.\n", n) }
	budget := limit - len(tail(len(ranked)))
	for i, r := range ranked {
		row := fmt.Sprintf("| %s | `%s` (%s) | %s | %s |\n", icons[r.Risk], code(r.Case.Name), escape(r.Case.Class), r.Verdict, escape(r.Evidence))
		if b.Len()+len(row) > budget {
			b.WriteString(tail(len(ranked) - i))
			break
		}
		b.WriteString(row)
	}
	return cut(b.String(), limit)
}

func writeNotes(b *strings.Builder, h History) {
	for _, n := range h.Notes {
		fmt.Fprintf(b, "\n> %s\n", escape(n))
	}
}

// cut keeps s within limit bytes, at a line's end when it has to cut.
func cut(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	if limit <= 0 {
		return ""
	}
	s = s[:limit]
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[:i+1]
	}
	return ""
}

// escape keeps text inside one markdown table cell.
func escape(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", "<br>")
}

// code keeps text inside a code span of a table cell.
func code(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "`", "'"), "|", `\|`)
}
