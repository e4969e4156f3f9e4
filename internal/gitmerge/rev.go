package gitmerge

import (
	"context"
	"fmt"
	"strings"
)

// ResolveCommit returns the full SHA of the commit rev names (a SHA, a ref
// such as "refs/shipgate/base", "HEAD~2", …).
func (r *Repo) ResolveCommit(ctx context.Context, rev string) (string, error) {
	return r.resolve(ctx, "commit", rev)
}

// ResolveTree returns the full SHA of the tree rev names; a commit names its
// tree.
func (r *Repo) ResolveTree(ctx context.Context, rev string) (string, error) {
	return r.resolve(ctx, "tree", rev)
}

func (r *Repo) resolve(ctx context.Context, kind, rev string) (string, error) {
	what := "resolve " + kind
	if err := checkRev(what, rev); err != nil {
		return "", err
	}
	out, err := r.output(ctx, nil, "rev-parse", "--verify", "--end-of-options", rev+"^{"+kind+"}")
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", what, rev, err)
	}
	sha := strings.TrimSpace(string(out))
	if !isOID(sha) {
		return "", fmt.Errorf("%s %q: git rev-parse printed %q", what, rev, truncate(sha))
	}
	return sha, nil
}

// MergeBase returns the best common ancestor of commits a and b (one of
// them when there are several), or an error wrapping ErrNoMergeBase when
// they share no history — which in a shallow repository can also mean the
// history is cut off too early (see Fetch).
func (r *Repo) MergeBase(ctx context.Context, a, b string) (string, error) {
	for _, rev := range []string{a, b} {
		if err := checkRev("merge base", rev); err != nil {
			return "", err
		}
	}
	out, code, err := r.run(ctx, nil, []int{1}, "merge-base", "--end-of-options", a, b)
	if err != nil {
		return "", fmt.Errorf("merge base of %s and %s: %w", a, b, err)
	}
	sha := strings.TrimSpace(string(out))
	if code == 1 && sha == "" {
		return "", fmt.Errorf("merge base of %s and %s: %w", a, b, ErrNoMergeBase)
	}
	if !isOID(sha) {
		return "", fmt.Errorf("merge base of %s and %s: git merge-base printed %q", a, b, truncate(sha))
	}
	return sha, nil
}
