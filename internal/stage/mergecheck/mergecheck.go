// Package mergecheck is the merge-check stage: a real three-way merge of a
// pull request into the current tip of its base, with git itself, and the
// checks of the merged tree — conflicts, invalid manifests, duplicate
// objects, APIs removed in the target Kubernetes version and an illegal
// Kubernetes version jump — as findings at file:line.
package mergecheck

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/shipgate/shipgate/internal/gitmerge"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// CheckRunName is the name of every check run this stage creates.
const CheckRunName = "shipgate / merge-check"

// Stage is the merge-check stage.
type Stage struct{}

// Validate refuses events and inputs merge-check cannot work with.
func (Stage) Validate(env *stage.Env) error {
	if err := validateEvent(env); err != nil {
		return err
	}
	if env.Event == nil && (env.Inputs.Base == "" || env.Inputs.Head == "") {
		return fmt.Errorf("merge-check needs --base (the branch to merge into) and --head (the revision to merge)")
	}
	return nil
}

// Run checks every target the event names.
func (Stage) Run(ctx context.Context, env *stage.Env) ([]report.Target, error) {
	dir, err := filepath.Abs(env.Inputs.Repo)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", env.Inputs.Repo, err)
	}
	// In a container action the workspace belongs to the runner's user,
	// not to the action's root: mark it safe for git.
	repo := &gitmerge.Repo{Dir: dir, SafeDirectory: env.Event != nil, Log: logger{env}}
	if err := repo.Check(ctx); err != nil {
		return nil, err
	}
	targets, err := plan(ctx, env)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		now := env.Now()
		return []report.Target{{Result: result.Result{
			Stage: "merge-check", Title: "No open pull requests to check", Started: now, Finished: now,
		}}}, nil
	}
	tips := map[string]string{} // base branch → its current tip, fetched once
	var out []report.Target
	for _, t := range targets {
		// In Actions the event names the head SHA: the check run shows
		// "in progress" before the fetches. On the CLI there is no check run.
		run := env.Publisher.Begin(ctx, CheckRunName, t.headSHA)
		tip, ok := tips[t.base]
		if !ok {
			if tip, err = baseTip(ctx, env, repo, t.base); err != nil {
				return nil, err
			}
			tips[t.base] = tip
		}
		if t.headSHA, err = head(ctx, repo, t); err != nil {
			return nil, err
		}
		res, err := check(ctx, env, repo, t, tip)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", orCLI(t.label), err)
		}
		rt := report.Target{Label: t.label, Result: res}
		run.End(ctx, rt)
		out = append(out, rt)
	}
	return out, nil
}

// baseTip fetches the base branch from origin, because the base may have
// moved since the event, and returns its tip. On the CLI a repository
// without an origin uses its local branch.
func baseTip(ctx context.Context, env *stage.Env, repo *gitmerge.Repo, base string) (string, error) {
	return repo.BranchTip(ctx, base, env.Event != nil)
}

// head makes sure the head commit is in the repository and returns its SHA.
// The event's SHA wins over the ref: a push after the event must not change
// what this run checks and reports on.
func head(ctx context.Context, repo *gitmerge.Repo, t target) (string, error) {
	if t.headRefspec == "" {
		return repo.ResolveCommit(ctx, t.headSHA)
	}
	if err := repo.Fetch(ctx, "origin", t.headRefspec); err != nil {
		return "", fmt.Errorf("fetch %s head: %w", t.label, err)
	}
	if sha, err := repo.ResolveCommit(ctx, t.headSHA); err == nil {
		return sha, nil
	}
	if err := repo.Fetch(ctx, "origin", t.headSHA); err != nil {
		return "", fmt.Errorf("fetch %s head commit %s: %w", t.label, t.headSHA, err)
	}
	return repo.ResolveCommit(ctx, t.headSHA)
}

// logger sends git's progress lines (fetch rounds) to the step log.
type logger struct{ env *stage.Env }

func (l logger) Printf(format string, args ...any) { l.env.RT.Logf(format, args...) }

func orCLI(label string) string {
	if label == "" {
		return "merge"
	}
	return label
}
