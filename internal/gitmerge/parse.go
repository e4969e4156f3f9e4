package gitmerge

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Stage is one line of merge-tree's "conflicted file info": a higher-order
// index stage of an unmerged path.
type Stage struct {
	// Mode is the octal file mode, e.g. "100644".
	Mode string
	// Object is the blob (or commit, for a submodule) at this stage.
	Object string
	// Stage is 1 (the merge base), 2 (the base branch: "ours") or 3 (the
	// head: "theirs").
	Stage int
	// Path is the unmerged path.
	Path string
}

// Message is one informational record of merge-tree: a conflict or a note
// such as "Auto-merging".
type Message struct {
	// Type is git's stable type string, e.g. "Auto-merging",
	// "CONFLICT (contents)", "CONFLICT (rename/delete)".
	Type string
	// Paths are the paths the message is about; the first is git's
	// primary path.
	Paths []string
	// Text is git's human message without its trailing newline, e.g.
	// "CONFLICT (content): Merge conflict in app.yaml".
	Text string
}

// mergeTreeOutput is the parsed stdout of
// git merge-tree --write-tree -z --messages.
type mergeTreeOutput struct {
	Tree     string
	Stages   []Stage
	Messages []Message
}

// parseMergeTree parses merge-tree's -z output, which git 2.39 writes as
//
//	<tree OID> NUL
//	( <mode> SP <object> SP <stage> TAB <path> NUL )*      conflicted file info
//	NUL                                                    start of messages
//	( <n> NUL <path> NUL … (n times) <type> NUL <message> NUL )*
//
// The messages section (from its leading NUL on) is absent when git prints no
// messages. Truncated or malformed input is an error, never a panic.
func parseMergeTree(out []byte) (mergeTreeOutput, error) {
	var res mergeTreeOutput
	fields := fieldScanner{rest: out}

	tree, ok := fields.next()
	if !ok {
		return res, errors.New("no tree OID")
	}
	if !isOID(tree) {
		return res, fmt.Errorf("tree OID %q is not a hex object name", truncate(tree))
	}
	res.Tree = tree

	// Conflicted file info, up to the empty field that starts the messages.
	for {
		line, ok := fields.next()
		if !ok {
			return res, nil // no messages section
		}
		if line == "" {
			break
		}
		st, err := parseStage(line)
		if err != nil {
			return res, err
		}
		res.Stages = append(res.Stages, st)
	}

	for !fields.done() {
		msg, err := parseMessage(&fields)
		if err != nil {
			return res, fmt.Errorf("message %d: %w", len(res.Messages)+1, err)
		}
		res.Messages = append(res.Messages, msg)
	}
	return res, nil
}

// parseStage parses "<mode> <object> <stage>\t<path>".
func parseStage(line string) (Stage, error) {
	meta, path, ok := strings.Cut(line, "\t")
	if !ok || path == "" {
		return Stage{}, fmt.Errorf("conflicted file info %q: want <mode> <object> <stage>TAB<path>", truncate(line))
	}
	parts := strings.Split(meta, " ")
	if len(parts) != 3 {
		return Stage{}, fmt.Errorf("conflicted file info %q: want <mode> <object> <stage>TAB<path>", truncate(line))
	}
	mode, obj, stage := parts[0], parts[1], parts[2]
	if _, err := strconv.ParseUint(mode, 8, 32); err != nil {
		return Stage{}, fmt.Errorf("conflicted file info %q: bad mode", truncate(line))
	}
	if !isOID(obj) {
		return Stage{}, fmt.Errorf("conflicted file info %q: bad object name", truncate(line))
	}
	if stage != "1" && stage != "2" && stage != "3" {
		return Stage{}, fmt.Errorf("conflicted file info %q: stage must be 1, 2 or 3", truncate(line))
	}
	return Stage{Mode: mode, Object: obj, Stage: int(stage[0] - '0'), Path: path}, nil
}

// parseMessage parses "<n> NUL <path>… <type> NUL <message> NUL".
func parseMessage(fields *fieldScanner) (Message, error) {
	count, ok := fields.next()
	if !ok {
		return Message{}, errors.New("truncated before the path count")
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 0 {
		return Message{}, fmt.Errorf("bad path count %q", truncate(count))
	}
	if n > len(fields.rest) { // each path takes at least its NUL
		return Message{}, fmt.Errorf("truncated: %d paths announced, %d bytes left", n, len(fields.rest))
	}
	msg := Message{Paths: make([]string, 0, n)}
	for range n {
		p, ok := fields.next()
		if !ok {
			return Message{}, errors.New("truncated in the path list")
		}
		msg.Paths = append(msg.Paths, p)
	}
	if msg.Type, ok = fields.next(); !ok {
		return Message{}, errors.New("truncated before the type")
	}
	text, ok := fields.next()
	if !ok {
		return Message{}, errors.New("truncated before the message")
	}
	msg.Text = strings.TrimRight(text, "\n")
	return msg, nil
}

// conflictType turns a message type into a conflict's short type:
// "CONFLICT (rename/delete)" → "rename/delete"; git 2.39 also spells some
// without the space, "CONFLICT(directory rename collision)". ok is false for
// informational types such as "Auto-merging".
func conflictType(msgType string) (short string, ok bool) {
	rest, ok := strings.CutPrefix(msgType, "CONFLICT")
	if !ok {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	rest = strings.TrimPrefix(rest, "(")
	rest = strings.TrimSuffix(rest, ")")
	return strings.TrimSpace(rest), true
}

// isOID reports whether s is a full SHA-1 or SHA-256 object name.
func isOID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// fieldScanner splits NUL-terminated fields. A final field without its NUL
// counts as truncation.
type fieldScanner struct {
	rest []byte
}

// next returns the next NUL-terminated field.
func (f *fieldScanner) next() (string, bool) {
	i := bytes.IndexByte(f.rest, 0)
	if i < 0 {
		return "", false
	}
	field := string(f.rest[:i])
	f.rest = f.rest[i+1:]
	return field, true
}

// done reports whether all input was consumed. A trailing newline (as git
// prints after the NUL-separated records) is tolerated.
func (f *fieldScanner) done() bool {
	return len(bytes.TrimRight(f.rest, "\n")) == 0
}

// truncate shortens s for error messages.
func truncate(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
