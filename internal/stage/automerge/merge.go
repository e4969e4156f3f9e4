package automerge

import (
	"context"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// Check names, stable across runs.
const (
	checkHead  = "auto-merge/head"
	checkMerge = "auto-merge/merge"
	checkToken = "auto-merge/token"
)

// outcome is what the outputs report.
type outcome struct {
	merged    bool
	autoMerge string
	mergeSHA  string
}

// mergeTested runs the stage's steps in order: read the pull request, make
// sure its head is the tested commit, then enable auto-merge or merge.
// Refusals are findings; an error means GitHub could not be asked.
func mergeTested(ctx context.Context, env *stage.Env, p plan) (result.Result, outcome, error) {
	res := result.Result{Stage: "auto-merge", Started: env.Now()}
	head := result.Check{Name: checkHead, Description: "The pull request's head is still the commit the gates tested"}
	merge := result.Check{Name: checkMerge, Description: "GitHub merges the tested commit: auto-merge enabled, or merged now"}
	token := result.Check{Name: checkToken, Description: "The merge is made with a token whose pushes start workflows (the deploy)",
		Skipped: "nothing was asked of GitHub"}
	finish := func(title string, out outcome) (result.Result, outcome, error) {
		res.Title, res.Finished = title, env.Now()
		res.Checks = []result.Check{head, merge, token}
		return res, out, nil
	}
	notAttempted := outcome{autoMerge: AutoMergeNotAttempted}

	// 1. The pull request as it is now, not as the event saw it.
	pr, err := env.GitHub.GetPullHead(ctx, p.number)
	if err != nil {
		return res, outcome{}, err
	}
	res.Notes = append(res.Notes, fmt.Sprintf("Tested commit %s; head now %s; base %s; GitHub merge state %s.",
		short(p.tested), short(pr.HeadSHA), pr.BaseRef, orUnknown(pr.MergeableState)))

	// 2. Nothing to do, or nothing allowed.
	switch {
	case pr.Merged:
		merge.Skipped = "already merged"
		if pr.HeadSHA != p.tested {
			head.Findings = append(head.Findings, result.Finding{Check: checkHead, Level: result.Warning,
				Title:   "Merged at a commit the gates did not test",
				Message: fmt.Sprintf("PR #%d was already merged with head %s; the gates tested %s.", p.number, short(pr.HeadSHA), short(p.tested))})
		}
		return finish(fmt.Sprintf("PR #%d was already merged", p.number), outcome{merged: true, autoMerge: AutoMergeNotNeeded, mergeSHA: pr.MergeCommitSHA})
	case pr.State != "open":
		merge.Findings = append(merge.Findings, failure(checkMerge, "The pull request is closed",
			fmt.Sprintf("PR #%d was closed without being merged; nothing was merged. Reopen it to run the gates and merge again.", p.number)))
		return finish("Not merged: the pull request is closed", notAttempted)
	case pr.HeadSHA != p.tested:
		head.Findings = append(head.Findings, headMoved(p, pr.HeadSHA))
		merge.Skipped = "the head moved after the gates ran"
		return finish("Not merged: a commit was pushed after the gates ran", notAttempted)
	case pr.Draft:
		merge.Findings = append(merge.Findings, failure(checkMerge, "The pull request is a draft",
			fmt.Sprintf("GitHub merges no draft; nothing was merged. Mark PR #%d ready for review, then re-run this job.", p.number)))
		return finish("Not merged: the pull request is a draft", notAttempted)
	}

	// 3. Auto-merge pinned to the tested commit, or a merge of it now.
	token.Skipped = ""
	if p.mergeToken == "" {
		token.Findings = append(token.Findings, noPushWorkflows)
	}
	mc, err := mergeClient(env, p)
	if err != nil {
		return res, outcome{}, err
	}
	start := env.Now()
	out, title, f, err := enableOrMerge(ctx, env, mc, p, pr)
	merge.Duration = env.Now().Sub(start)
	if err != nil {
		return res, outcome{}, err
	}
	if f != nil {
		if f.finding.Check == checkHead {
			head.Findings = append(head.Findings, f.finding)
			merge.Skipped = "the head moved after the gates ran"
		} else {
			merge.Findings = append(merge.Findings, f.finding)
		}
	}
	return finish(title, out)
}

// mergeClient is the client that merges: merge-token's when given.
func mergeClient(env *stage.Env, p plan) (*ghapi.Client, error) {
	if p.mergeToken == "" {
		return env.GitHub, nil
	}
	opts := []ghapi.Option{ghapi.WithLogf(env.RT.Logf)}
	if env.Sleep != nil {
		opts = append(opts, ghapi.WithClock(time.Now, env.Sleep))
	}
	c, err := env.GitHub.WithToken(p.mergeToken, opts...)
	if err != nil {
		return nil, fmt.Errorf("input merge-token: %w", err)
	}
	return c, nil
}

// noPushWorkflows is the notice that a merge made with github-token will
// not start push workflows.
var noPushWorkflows = result.Finding{Check: checkToken, Level: result.Notice,
	Title: "The merge will not start push workflows",
	Message: "The merge is made with github-token. GitHub starts no workflow for a push made with GITHUB_TOKEN, " +
		"so the push to the base branch will not run your on: push workflows, such as the deploy. " +
		"Pass a GitHub App installation token (actions/create-github-app-token) or a PAT with contents: write " +
		"and pull-requests: write as input merge-token."}

func headMoved(p plan, now string) result.Finding {
	return failure(checkHead, "A commit was pushed after the gates ran",
		fmt.Sprintf("A commit was pushed after the gates ran: tested %s, head is now %s. Nothing was merged; the new commit gets its own run of the gates.",
			short(p.tested), short(now)))
}

func failure(check, title, msg string) result.Finding {
	return result.Finding{Check: check, Level: result.Failure, Title: title, Message: msg}
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
