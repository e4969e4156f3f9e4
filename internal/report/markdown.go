package report

import (
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/internal/result"
)

// Markdown renders targets as markdown of at most limit bytes: per target a
// headline, the table of checks and the table of findings. When findings do
// not fit, the rows that fit are kept and a last line says how many were left
// out and where they are (more).
func Markdown(targets []Target, limit int, more string) string {
	type section struct {
		header string
		rows   []string
	}
	var sections []section
	for _, t := range targets {
		var h strings.Builder
		writeHeader(&h, t)
		s := section{header: h.String()}
		for _, f := range t.Result.Findings() {
			s.rows = append(s.rows, findingRow(f))
		}
		sections = append(sections, s)
	}

	total := 0
	for _, s := range sections {
		total += len(s.rows)
	}
	// Reserve room for the truncation note; it names counts, so give it slack.
	note := func(left int) string {
		return fmt.Sprintf("\n> **%d more finding(s) did not fit here.** %s\n", left, more)
	}
	budget := limit - len(note(total))
	written := 0
	var b strings.Builder
	for _, s := range sections {
		if b.Len()+len(s.header) > budget {
			break
		}
		b.WriteString(s.header)
		if len(s.rows) == 0 {
			continue
		}
		const th = "\n| level | location | object | finding |\n|---|---|---|---|\n"
		if b.Len()+len(th) > budget {
			continue
		}
		b.WriteString(th)
		for _, r := range s.rows {
			if b.Len()+len(r) > budget {
				break
			}
			b.WriteString(r)
			written++
		}
	}
	if written < total {
		b.WriteString(note(total - written))
	}
	return b.String()
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
	b.WriteString("| check | result | failures | warnings |\n|---|---|---|---|\n")
	for _, c := range r.Checks {
		fails, warns := 0, 0
		for _, f := range c.Findings {
			switch f.Level {
			case result.Failure:
				fails++
			case result.Warning:
				warns++
			}
		}
		state := "✅ passed"
		switch {
		case c.Skipped != "":
			state = "⏭️ skipped: " + escape(c.Skipped)
		case fails > 0:
			state = "❌ failed"
		case warns > 0:
			state = "⚠️ passed with warnings"
		}
		fmt.Fprintf(b, "| `%s` | %s | %d | %d |\n", c.Name, state, fails, warns)
	}
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
