package gitmerge

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Merge is the result of merging head into base.
type Merge struct {
	// Base and Head are the commits merged, as full SHAs.
	Base, Head string
	// Tree is the merged tree. Files with content conflicts contain
	// conflict markers, as git merge would leave them in the work tree.
	Tree string
	// Clean is true when the merge had no conflicts.
	Clean bool
	// Conflicts are the conflicts in git's order (sorted by path).
	Conflicts []Conflict
	// Stages are git's "conflicted file info": the index stages of every
	// unmerged path.
	Stages []Stage
	// Messages are all of git's informational records, conflicts
	// included, e.g. "Auto-merging app.yaml".
	Messages []Message
}

// Side is a side of the merge.
type Side string

// The two sides: the base branch the pull request merges into (git's
// "ours", stage 2) and the pull request's head (git's "theirs", stage 3).
const (
	BaseSide Side = "base"
	HeadSide Side = "head"
)

// Conflict is one conflict git reported.
type Conflict struct {
	// Type is git's conflict type without "CONFLICT (…)": "contents",
	// "add/add", "binary", "modify/delete", "rename/delete",
	// "rename/rename", "file/directory", "distinct modes",
	// "rename involved in collision", "submodule", …. git reports add/add
	// as "contents"; it is told apart by the missing merge-base stage.
	Type string
	// Paths are the paths git names, its primary path first: for
	// rename/delete [new, old]; for rename/rename [old, base's new, head's
	// new]; for file/directory [where the file went, where it was].
	Paths []string
	// Message is git's own message, naming the sides by the revisions
	// given to Merge, e.g. "CONFLICT (modify/delete): svc.yaml deleted in
	// refs/shipgate/head and modified in refs/shipgate/base.  Version
	// refs/shipgate/base of svc.yaml left in tree." Its wording is not
	// stable across git versions; Type and the other fields are.
	Message string
	// Path is where to point at: the first of Paths present in the merged
	// tree (the primary path when none is).
	Path string
	// OldPath is, for rename conflicts, the path before the rename; for
	// file/directory conflicts, the path the file was moved away from.
	OldPath string
	// Ranges are the conflict hunks in the merged file at Path, from the
	// "<<<<<<<" line to the ">>>>>>>" line inclusive, 1-based, found by
	// reading the merged blob (any marker size, so a conflict-marker-size
	// attribute is honoured). Empty for conflicts without markers (binary,
	// modify/delete, renames, file/directory, submodules, …).
	Ranges []LineRange
	// Binary is set when git could not merge the contents because the file
	// is binary; the merged tree holds the base's version.
	Binary bool
	// DeletedBy is, for modify/delete and rename/delete, the side that
	// deleted the file.
	DeletedBy Side
	// RenamedBy is, for rename/delete, the side that renamed the file.
	RenamedBy Side
}

// MergeOption changes how Merge merges.
type MergeOption func(*mergeOptions)

type mergeOptions struct {
	allowUnrelated bool
}

// AllowUnrelatedHistories merges commits that share no history, as if
// their merge base were an empty tree (merge-tree
// --allow-unrelated-histories), instead of failing with
// ErrUnrelatedHistories.
func AllowUnrelatedHistories() MergeOption {
	return func(o *mergeOptions) { o.allowUnrelated = true }
}

// Merge merges head into base, as `git merge head` on a checkout of base
// would, with `git merge-tree --write-tree -z --messages`. Nothing in the
// repository changes except new objects. Conflicts are data in the result;
// an error means the merge could not run. base and head label the conflict
// markers and git's messages, so prefer names like "refs/shipgate/base".
func (r *Repo) Merge(ctx context.Context, base, head string, opts ...MergeOption) (*Merge, error) {
	var o mergeOptions
	for _, opt := range opts {
		opt(&o)
	}
	// Resolve both first: merge-tree exits 1, as for conflicts, when a
	// revision does not exist.
	baseSHA, err := r.ResolveCommit(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("merge %s into %s: base: %w", head, base, err)
	}
	headSHA, err := r.ResolveCommit(ctx, head)
	if err != nil {
		return nil, fmt.Errorf("merge %s into %s: head: %w", head, base, err)
	}

	args := []string{"merge-tree", "--write-tree", "-z", "--messages"}
	if o.allowUnrelated {
		args = append(args, "--allow-unrelated-histories")
	}
	args = append(args, "--end-of-options", base, head)
	out, code, err := r.run(ctx, nil, []int{1}, args...)
	if err != nil {
		if ge := (*Error)(nil); errors.As(err, &ge) && strings.Contains(ge.Stderr, "refusing to merge unrelated histories") {
			return nil, fmt.Errorf("merge %s into %s: %w (%s and %s share no history)", head, base, ErrUnrelatedHistories, baseSHA, headSHA)
		}
		return nil, fmt.Errorf("merge %s into %s: %w", head, base, err)
	}
	parsed, err := parseMergeTree(out)
	if err != nil {
		return nil, fmt.Errorf("merge %s into %s: git merge-tree: exit %d: unexpected output: %w", head, base, code, err)
	}

	m := &Merge{Base: baseSHA, Head: headSHA, Tree: parsed.Tree, Clean: code == 0, Stages: parsed.Stages, Messages: parsed.Messages}
	if m.Clean {
		return m, nil
	}
	if m.Conflicts, err = r.conflicts(ctx, parsed); err != nil {
		return nil, fmt.Errorf("merge %s into %s: %w", head, base, err)
	}
	if len(m.Conflicts) == 0 {
		return nil, fmt.Errorf("merge %s into %s: git merge-tree: exit 1 (conflicts) but no conflict in its output", head, base)
	}
	return m, nil
}
