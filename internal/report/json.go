package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/shipgate/shipgate/internal/result"
)

// WriteJSON writes the results of targets as a JSON array of objects with
// the target's "label", its "result" and, when it could not run, its
// "error"; indented by two spaces. Each check is encoded on its own, so a
// result of many checks is never held encoded in memory whole; one without
// findings is written directly.
func WriteJSON(w io.Writer, targets []Target) error {
	if err := writeJSON(w, targets); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

func writeJSON(w io.Writer, targets []Target) error {
	bw := bufio.NewWriter(w)
	if len(targets) == 0 {
		bw.WriteString("null\n") // as an empty list has always been written
		return bw.Flush()
	}
	field := func(indent, name string, v any, last bool) error {
		b, err := json.MarshalIndent(v, indent, "  ")
		if err != nil {
			return fmt.Errorf("encode %s: %w", name, err)
		}
		fmt.Fprintf(bw, "%s%q: %s", indent, name, b)
		if !last {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		return nil
	}
	bw.WriteString("[")
	for i, t := range targets {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n  {\n")
		if t.Error != "" {
			if err := field("    ", "error", t.Error, false); err != nil {
				return err
			}
		}
		if err := field("    ", "label", t.Label, false); err != nil {
			return err
		}
		r := t.Result
		bw.WriteString(`    "result": {` + "\n")
		if err := field("      ", "stage", r.Stage, false); err != nil {
			return err
		}
		if err := field("      ", "title", r.Title, false); err != nil {
			return err
		}
		switch {
		case r.Checks == nil:
			bw.WriteString(`      "checks": null,` + "\n")
		case len(r.Checks) == 0:
			bw.WriteString(`      "checks": [],` + "\n")
		default:
			bw.WriteString(`      "checks": [`)
			for j, c := range r.Checks {
				if j > 0 {
					bw.WriteByte(',')
				}
				bw.WriteString("\n        ")
				if err := writeCheck(bw, c); err != nil {
					return err
				}
			}
			bw.WriteString("\n      ],\n")
		}
		times := []struct {
			name string
			at   time.Time
		}{{"started", r.Started}, {"finished", r.Finished}}
		for k, tm := range times {
			if err := field("      ", tm.name, tm.at, k == 1 && len(r.Notes) == 0); err != nil {
				return err
			}
		}
		if len(r.Notes) > 0 {
			if err := field("      ", "notes", r.Notes, true); err != nil {
				return err
			}
		}
		bw.WriteString("    }\n  }")
	}
	bw.WriteString("\n]\n")
	return bw.Flush()
}

// writeCheck writes c as json.MarshalIndent(c, "        ", "  ") does.
func writeCheck(bw *bufio.Writer, c result.Check) error {
	if len(c.Findings) > 0 {
		b, err := json.MarshalIndent(c, "        ", "  ")
		if err != nil {
			return fmt.Errorf("encode check %q: %w", c.Name, err)
		}
		bw.Write(b)
		return nil
	}
	const in = "\n          "
	field := func(name, value string) {
		bw.WriteString(in + `"` + name + `": `)
		writeJSONString(bw, value)
		bw.WriteByte(',')
	}
	bw.WriteByte('{')
	field("name", c.Name)
	field("description", c.Description)
	if c.Skipped != "" {
		field("skipped", c.Skipped)
	}
	bw.WriteString(in + `"duration": `)
	bw.WriteString(strconv.FormatInt(int64(c.Duration), 10))
	bw.WriteString("\n        }")
	return nil
}

// writeJSONString writes s as encoding/json quotes it: printable ASCII
// other than what it escapes directly, anything else through it.
func writeJSONString(bw *bufio.Writer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes
			bw.Write(b)
			return
		}
	}
	bw.WriteByte('"')
	bw.WriteString(s)
	bw.WriteByte('"')
}
