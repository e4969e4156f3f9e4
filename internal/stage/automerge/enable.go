package automerge

import (
	"context"
	"errors"
	"fmt"

	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// refusal is GitHub refusing to merge, as the finding to report.
type refusal struct {
	title   string
	finding result.Finding
}

// enableOrMerge enables auto-merge pinned to the tested commit; when GitHub
// says the pull request can be merged now (so auto-merge has nothing to
// wait for), it merges the tested commit directly.
func enableOrMerge(ctx context.Context, env *stage.Env, mc *ghapi.Client, p plan, pr ghapi.PullHead) (outcome, string, *refusal, error) {
	_, err := mc.EnableAutoMerge(ctx, pr.NodeID, p.method, p.tested)
	switch {
	case err == nil:
		return outcome{autoMerge: AutoMergeEnabled},
			fmt.Sprintf("Auto-merge (%s) enabled: GitHub merges %s into %s once its requirements are met", p.method, short(p.tested), pr.BaseRef),
			nil, nil
	case errors.Is(err, ghapi.ErrMergeableNow):
		env.RT.Logf("GitHub can merge PR #%d now (%s), so auto-merge has nothing to wait for: merging %s directly", p.number, ghapi.Message(err), short(p.tested))
		return mergeNow(ctx, env, mc, p, pr)
	case errors.Is(err, ghapi.ErrAutoMergeNotAllowed) && pr.MergeableNow():
		// Nothing to wait for anyway: auto-merge is not needed.
		env.RT.Logf("Auto-merge is off in this repository, but PR #%d can be merged now (merge state %s): merging %s directly", p.number, pr.MergeableState, short(p.tested))
		return mergeNow(ctx, env, mc, p, pr)
	}
	return refusedOutcome(p, pr, err, "enable auto-merge on")
}

// mergeNow merges the pull request only if its head is the tested commit.
func mergeNow(ctx context.Context, env *stage.Env, mc *ghapi.Client, p plan, pr ghapi.PullHead) (outcome, string, *refusal, error) {
	sha, err := mc.MergePull(ctx, p.number, p.tested, p.method)
	if errors.Is(err, ghapi.ErrNotMergeable) {
		// A request retried after a server error may have merged it the
		// first time; GitHub then answers the retry 405.
		if now, gerr := env.GitHub.GetPullHead(ctx, p.number); gerr == nil && now.Merged && now.HeadSHA == p.tested {
			sha, err = now.MergeCommitSHA, nil
		}
	}
	if err != nil {
		return refusedOutcome(p, pr, err, "merge")
	}
	return outcome{merged: true, autoMerge: AutoMergeNotNeeded, mergeSHA: sha},
		fmt.Sprintf("Merged %s into %s (%s): merge commit %s", short(p.tested), pr.BaseRef, p.method, short(sha)), nil, nil
}

// refusedOutcome is the outcome of GitHub refusing to do what, with the
// refusal to report; err itself when it is not a refusal.
func refusedOutcome(p plan, pr ghapi.PullHead, err error, what string) (outcome, string, *refusal, error) {
	r := refused(p, pr, err, what)
	if r == nil {
		return outcome{}, "", nil, err
	}
	return outcome{autoMerge: AutoMergeRefused}, r.title, r, nil
}

// refused turns GitHub's refusal into a finding that says why and how to
// fix it; nil when err is not a refusal (GitHub could not be asked).
func refused(p plan, pr ghapi.PullHead, err error, what string) *refusal {
	said := ghapi.Message(err)
	r := &refusal{}
	var ge *ghapi.GraphQLError
	switch {
	case errors.Is(err, ghapi.ErrHeadModified):
		r.title = "Not merged: a commit was pushed after the gates ran"
		r.finding = failure(checkHead, "A commit was pushed after the gates ran",
			fmt.Sprintf("The head moved after the gates ran: GitHub refused to %s PR #%d at the tested commit %s (%q). Nothing was merged; the new commit gets its own run of the gates.",
				what, p.number, short(p.tested), said))
	case errors.Is(err, ghapi.ErrAutoMergeNotAllowed):
		r.title = "Not merged: auto-merge is not allowed in this repository"
		r.finding = failure(checkMerge, "Auto-merge is not allowed in this repository",
			fmt.Sprintf("GitHub refused auto-merge (%q) while PR #%d still waits for requirements (merge state %s); shipgate asks GitHub to merge it once they are met, which needs auto-merge. "+
				"Fix: turn on \"Allow auto-merge\" in the repository's Settings → General → Pull Requests "+
				"(or: gh api -X PATCH repos/OWNER/REPO -F allow_auto_merge=true), then re-run this job.",
				said, p.number, orUnknown(pr.MergeableState)))
	case errors.Is(err, ghapi.ErrNotPermitted):
		r.title = "Not merged: the token may not merge"
		r.finding = failure(checkMerge, "The token may not merge pull requests",
			fmt.Sprintf("GitHub refused to %s PR #%d (%q). Give the job permissions contents: write and pull-requests: write, "+
				"or pass a GitHub App token or PAT with them as input merge-token.", what, p.number, said))
	case errors.Is(err, ghapi.ErrNotMergeable):
		r.title = "Not merged: GitHub will not merge the pull request"
		r.finding = failure(checkMerge, "GitHub will not merge the pull request",
			fmt.Sprintf("GitHub refused to merge PR #%d at %s (%q; merge state %s). Resolve conflicts, get the required reviews and checks, then re-run this job.",
				p.number, short(p.tested), said, orUnknown(pr.MergeableState)))
	case errors.As(err, &ge):
		r.title = "Not merged: GitHub refused auto-merge"
		r.finding = failure(checkMerge, "GitHub refused auto-merge",
			fmt.Sprintf("GitHub refused to %s PR #%d at %s (%q). Nothing was merged; fix what GitHub names, then re-run this job.",
				what, p.number, short(p.tested), said))
	default:
		return nil
	}
	return r
}
