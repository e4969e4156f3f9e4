package mergecheck

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/internal/gitmerge"
	"github.com/shipgate/shipgate/internal/manifest"
	"github.com/shipgate/shipgate/internal/result"
)

// conflictFindings turns each conflict into findings: one per conflicting
// hunk at its line range, naming the Kubernetes object and fields the hunk
// touches when the file is a manifest; one per path for conflicts without
// hunks (binary, rename/delete, modify/delete).
func conflictFindings(ctx context.Context, repo *gitmerge.Repo, m *gitmerge.Merge) []result.Finding {
	var out []result.Finding
	for _, c := range m.Conflicts {
		title := fmt.Sprintf("Merge conflict (%s)", c.Type)
		if len(c.Ranges) == 0 {
			out = append(out, result.Finding{
				Check: checkConflicts, Level: result.Failure, Path: c.Path, Line: 1,
				Title: title, Message: withoutHunks(c),
			})
			continue
		}
		var content []byte
		if manifest.IsManifestPath(c.Path) {
			content, _ = repo.ReadFile(ctx, m.Tree, c.Path) // a failed read only loses the object names
		}
		for _, r := range c.Ranges {
			f := result.Finding{
				Check: checkConflicts, Level: result.Failure, Path: c.Path, Line: r.Start, EndLine: r.End,
				Title: title,
			}
			where := fmt.Sprintf("lines %d–%d", r.Start, r.End)
			if obj, fields := locate(c.Path, content, r); obj != "" {
				f.Object = obj
				where += " of " + obj
				if len(fields) > 0 {
					where += " (" + strings.Join(fields, ", ") + ")"
				}
			}
			f.Message = fmt.Sprintf("%s. Both the base and this change edited %s. Merge the base into the branch, resolve the conflict markers and push.",
				strings.TrimSuffix(strings.TrimSpace(c.Message), "."), where)
			out = append(out, f)
		}
	}
	return out
}

func withoutHunks(c gitmerge.Conflict) string {
	msg := strings.TrimSpace(c.Message)
	switch {
	case c.Binary:
		return msg + " Both sides changed this binary file; git cannot merge it line by line. Keep one version in the branch and push."
	case strings.Contains(c.Type, "delete"):
		return msg + " One side deleted or renamed the file while the other changed it; decide which wins in the branch and push."
	default:
		return msg + " Resolve it in the branch and push."
	}
}

// locate names the object and fields a conflict hunk touches. The merged
// file has conflict markers and is not YAML, so each side of the file is
// parsed on its own with the other side's lines and the markers blanked:
// line numbers stay those of the merged file. Only the lines of the side
// itself inside the hunk are asked about.
func locate(path string, content []byte, r gitmerge.LineRange) (string, []string) {
	if content == nil {
		return "", nil
	}
	const most = 6
	var obj string
	var fields []string
	seen := map[string]bool{}
	for _, side := range []int{0, 1} {
		text, kept := oneSide(content, side)
		objs, _ := manifest.Parse(path, text)
		for line := r.Start; line <= r.End; line++ {
			if !kept[line] {
				continue
			}
			o, field := manifest.FieldAt(objs, line)
			if o == nil {
				continue
			}
			if obj == "" {
				obj = o.String()
			}
			if field != "" && !seen[field] {
				seen[field] = true
				fields = append(fields, field)
			}
		}
	}
	if len(fields) > most {
		fields = append(fields[:most], fmt.Sprintf("and %d more", len(fields)-most))
	}
	return obj, fields
}

// oneSide keeps one side of every conflict hunk (0: ours, the base; 1:
// theirs, the change) and blanks the markers and the other side, keeping
// every line where it was. kept holds the 1-based numbers of the side's own
// lines inside hunks.
func oneSide(content []byte, side int) (text []byte, kept map[int]bool) {
	kept = map[int]bool{}
	lines := bytes.SplitAfter(content, []byte("\n"))
	state := outside
	for i, l := range lines {
		if next, ok := marker(l, state); ok {
			state = next
			lines[i] = blank(l)
			continue
		}
		mine := (state == ours && side == 0) || (state == theirs && side == 1)
		if mine {
			kept[i+1] = true
		}
		if state != outside && !mine {
			lines[i] = blank(l)
		}
	}
	return bytes.Join(lines, nil), kept
}

// Where a line of a merged file stands relative to conflict hunks.
const (
	outside = iota
	ours
	base // diff3's "|||||||" section
	theirs
)

// marker reports whether l is a conflict marker and the state after it.
func marker(l []byte, state int) (int, bool) {
	bare := bytes.TrimRight(l, "\r\n")
	switch {
	case bytes.HasPrefix(l, []byte("<<<<<<< ")) || bytes.Equal(bare, []byte("<<<<<<<")):
		return ours, true
	case state == outside:
		return state, false
	case bytes.HasPrefix(l, []byte("|||||||")):
		return base, true
	case bytes.Equal(bare, []byte("=======")):
		return theirs, true
	case bytes.HasPrefix(l, []byte(">>>>>>>")):
		return outside, true
	}
	return state, false
}

func blank(l []byte) []byte {
	if bytes.HasSuffix(l, []byte("\n")) {
		return []byte("\n")
	}
	return nil
}
