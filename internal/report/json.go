package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// WriteJSON writes the results of targets as a JSON array of objects with
// the target's "label", its "result" and, when it could not run, its
// "error"; indented by two spaces. Each check is encoded on its own, so a
// result of many checks is never held encoded in memory whole.
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
				b, err := json.MarshalIndent(c, "        ", "  ")
				if err != nil {
					return fmt.Errorf("encode check %q: %w", c.Name, err)
				}
				bw.WriteString("\n        ")
				bw.Write(b)
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
