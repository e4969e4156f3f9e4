package gitmerge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// HasRemote reports whether the repository has a remote of that name.
func (r *Repo) HasRemote(ctx context.Context, name string) (bool, error) {
	out, err := r.output(ctx, nil, "remote")
	if err != nil {
		return false, fmt.Errorf("list remotes: %w", err)
	}
	return slices.Contains(strings.Fields(string(out)), name), nil
}

// ErrNoOrigin is BranchTip's error for a repository without an origin
// remote when one is required.
var ErrNoOrigin = errors.New("the repository has no origin remote; check it out with actions/checkout first")

// BranchTip fetches branch from origin into refs/shipgate/base/<branch>
// (the branch may have moved since the event) and returns its tip. Without
// an origin it resolves the local branch, unless requireOrigin, when it
// returns ErrNoOrigin.
func (r *Repo) BranchTip(ctx context.Context, branch string, requireOrigin bool) (string, error) {
	local := "refs/shipgate/base/" + branch
	hasOrigin, err := r.HasRemote(ctx, "origin")
	if err != nil {
		return "", err
	}
	if !hasOrigin {
		if requireOrigin {
			return "", fmt.Errorf("%s: %w", r.Dir, ErrNoOrigin)
		}
		return r.ResolveCommit(ctx, branch)
	}
	if err := r.Fetch(ctx, "origin", fmt.Sprintf("+refs/heads/%s:%s", branch, local)); err != nil {
		return "", fmt.Errorf("fetch branch %s: %w", branch, err)
	}
	return r.ResolveCommit(ctx, local)
}
