package gitmerge

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
)

// Status is how a path changed, as git diff --name-status spells it.
type Status string

// The statuses Changed reports.
const (
	Added       Status = "A"
	Modified    Status = "M"
	Deleted     Status = "D"
	Renamed     Status = "R"
	TypeChanged Status = "T" // e.g. a file became a symlink
)

// Change is one path that differs between two trees.
type Change struct {
	Status Status
	// Path is the path in the newer tree (in the older one for Deleted).
	Path string
	// OldPath is the path in the older tree, for Renamed.
	OldPath string
	// Similarity is git's rename score in percent, for Renamed.
	Similarity int
}

// Changed lists the paths that differ between from and to (commits or
// trees), recursing into directories and detecting renames, with
// `git diff-tree -r -z --name-status -M`.
func (r *Repo) Changed(ctx context.Context, from, to string) ([]Change, error) {
	for _, rev := range []string{from, to} {
		if err := checkRev("changes", rev); err != nil {
			return nil, err
		}
	}
	out, err := r.output(ctx, nil, "diff-tree", "-r", "-z", "--name-status", "-M", "--no-ext-diff", "--end-of-options", from, to)
	if err != nil {
		return nil, fmt.Errorf("changes from %s to %s: %w", from, to, err)
	}
	changes, err := parseNameStatus(out)
	if err != nil {
		return nil, fmt.Errorf("changes from %s to %s: %w", from, to, err)
	}
	return changes, nil
}

// parseNameStatus parses "<status> NUL <path> NUL", with a second path for
// renames and copies ("R087 NUL old NUL new NUL").
func parseNameStatus(out []byte) ([]Change, error) {
	f := fieldScanner{rest: out}
	var changes []Change
	for len(bytes.TrimRight(f.rest, "\n")) > 0 {
		st, ok := f.next()
		if !ok || st == "" {
			return nil, fmt.Errorf("git diff-tree: truncated output")
		}
		c := Change{Status: Status(st[:1])}
		if len(st) > 1 {
			n, err := strconv.Atoi(st[1:])
			if err != nil {
				return nil, fmt.Errorf("git diff-tree: bad status %q", truncate(st))
			}
			c.Similarity = n
		}
		if c.Path, ok = f.next(); !ok {
			return nil, fmt.Errorf("git diff-tree: truncated output after %q", st)
		}
		if c.Status == Renamed || c.Status == "C" {
			c.OldPath = c.Path
			if c.Path, ok = f.next(); !ok {
				return nil, fmt.Errorf("git diff-tree: truncated output after %q", st)
			}
		}
		changes = append(changes, c)
	}
	return changes, nil
}
