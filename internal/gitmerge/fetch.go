package gitmerge

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Deepening bounds for Fetch in a shallow repository.
const (
	defaultShallowDepth = 64
	maxDeepenRounds     = 6
)

// Fetch fetches refspecs such as "+refs/heads/main:refs/shipgate/base" and
// "+refs/pull/7/head:refs/shipgate/head" from remote, with git fetch
// --no-tags --no-recurse-submodules --no-write-fetch-head --refmap=, so
// nothing but the refspecs' destinations changes (not even origin/main).
//
// In a shallow repository (actions/checkout's default fetch-depth: 1) a
// plain fetch would pull the whole history of every new ref, and a fetch of
// too little history leaves the refs without a merge base. So there Fetch:
//
//  1. fetches with --depth=ShallowDepth (64 by default);
//  2. while some destination ref has no merge base with the first
//     destination, fetches again with --deepen, each round doubling the
//     history fetched, for at most 6 rounds (with the default, 128, 256,
//     …, 4096 commits behind each tip);
//  3. if there is still no merge base, fetches with --unshallow, bounded
//     only by ctx.
//
// Histories that share nothing even then are left to Merge, which reports
// ErrUnrelatedHistories. Refspecs without a destination are fetched but
// take no part in the merge-base check.
func (r *Repo) Fetch(ctx context.Context, remote string, refspecs ...string) error {
	if err := checkFetchArgs(remote, refspecs); err != nil {
		return err
	}
	shallow, err := r.IsShallow(ctx)
	if err != nil {
		return fmt.Errorf("fetch from %s: %w", remote, err)
	}
	if !shallow {
		return r.fetch(ctx, remote, refspecs)
	}

	depth := r.ShallowDepth // history fetched so far, per tip
	if depth <= 0 {
		depth = defaultShallowDepth
	}
	if err := r.fetch(ctx, remote, refspecs, fmt.Sprintf("--depth=%d", depth)); err != nil {
		return err
	}
	dsts := destinations(refspecs)
	for round := 0; ; round++ {
		missing, err := r.unrelatedRef(ctx, dsts)
		if err != nil || missing == "" {
			return err
		}
		if shallow, err = r.IsShallow(ctx); err != nil || !shallow {
			return err // complete history: the refs really are unrelated
		}
		if round == maxDeepenRounds {
			r.logf("fetch: no merge base of %s and %s within the deepened history; fetching with --unshallow", dsts[0], missing)
			return r.fetch(ctx, remote, refspecs, "--unshallow")
		}
		r.logf("fetch: shallow repository, no merge base of %s and %s yet; deepening by %d commits", dsts[0], missing, depth)
		if err := r.fetch(ctx, remote, refspecs, fmt.Sprintf("--deepen=%d", depth)); err != nil {
			return err
		}
		depth *= 2
	}
}

// IsShallow reports whether the repository is a shallow clone.
func (r *Repo) IsShallow(ctx context.Context) (bool, error) {
	out, err := r.output(ctx, nil, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(out)) == "true", nil
}

// fetch runs one git fetch.
func (r *Repo) fetch(ctx context.Context, remote string, refspecs []string, extra ...string) error {
	// --refmap= keeps the remote-tracking refs (origin/main) as they are:
	// only the refspecs' own destinations change.
	args := []string{"fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--no-write-fetch-head", "--no-auto-gc", "--refmap="}
	args = append(args, extra...)
	args = append(args, "--end-of-options", remote)
	args = append(args, refspecs...)
	if _, err := r.output(ctx, nil, args...); err != nil {
		return fmt.Errorf("fetch %s from %s: %w", strings.Join(refspecs, " "), remote, err)
	}
	return nil
}

// unrelatedRef returns the first of dsts[1:] without a merge base with
// dsts[0], or "" when all have one.
func (r *Repo) unrelatedRef(ctx context.Context, dsts []string) (string, error) {
	for _, d := range dsts[min(1, len(dsts)):] {
		_, err := r.MergeBase(ctx, dsts[0], d)
		if errors.Is(err, ErrNoMergeBase) {
			return d, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", nil
}

// destinations returns the local refs refspecs write to.
func destinations(refspecs []string) []string {
	var dsts []string
	for _, spec := range refspecs {
		if strings.HasPrefix(spec, "^") {
			continue // negative refspec
		}
		if _, dst, ok := strings.Cut(strings.TrimPrefix(spec, "+"), ":"); ok && dst != "" {
			dsts = append(dsts, dst)
		}
	}
	return dsts
}

func checkFetchArgs(remote string, refspecs []string) error {
	switch {
	case remote == "":
		return errors.New("fetch: empty remote name")
	case strings.HasPrefix(remote, "-") || strings.ContainsAny(remote, "\x00\n"):
		return fmt.Errorf("fetch: bad remote name %q", remote)
	case len(refspecs) == 0:
		return fmt.Errorf("fetch from %s: no refspecs", remote)
	}
	for _, spec := range refspecs {
		if spec == "" || strings.HasPrefix(spec, "-") || strings.ContainsAny(spec, "\x00\n") {
			return fmt.Errorf("fetch from %s: bad refspec %q", remote, spec)
		}
	}
	return nil
}

func (r *Repo) logf(format string, args ...any) {
	if r.Log != nil {
		r.Log.Printf(format, args...)
	}
}
