package mergecheck

import (
	"context"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// githubMergeable asks GitHub for its own view of the pull request. GitHub
// computes mergeability in the background and answers null meanwhile: ask a
// bounded number of times, then say "unknown" rather than fail. shipgate's
// own merge stands either way; a disagreement is worth a warning.
func githubMergeable(ctx context.Context, env *stage.Env, pull int, clean bool) ([]result.Finding, string, error) {
	attempts := env.Config.MergeCheck.Attempts()
	pr, err := env.GitHub.WaitMergeable(ctx, pull, attempts, 2*time.Second, env.Sleep)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", err
		}
		return []result.Finding{{
			Check: checkMergeable, Level: result.Notice,
			Title:   "GitHub's mergeability could not be read",
			Message: fmt.Sprintf("Asking GitHub about #%d failed (%v); shipgate's own merge result above stands.", pull, err),
		}}, "GitHub mergeable: unknown (the API did not answer)", nil
	}
	switch {
	case pr.Mergeable == nil:
		return []result.Finding{{
			Check: checkMergeable, Level: result.Notice,
			Title:   "GitHub's mergeability is unknown",
			Message: fmt.Sprintf("GitHub had not computed whether #%d is mergeable after %d tries; shipgate's own merge result above stands.", pull, attempts),
		}}, "GitHub mergeable: unknown (still computing)", nil
	case !*pr.Mergeable && clean:
		return []result.Finding{{
			Check: checkMergeable, Level: result.Warning,
			Title:   "GitHub reports a conflict that shipgate's merge does not have",
			Message: fmt.Sprintf("GitHub says #%d is not mergeable (state %q) while the merge into the current base is clean; GitHub may have computed it against an older base. Push to the branch or re-run to refresh.", pull, pr.MergeableState),
		}}, fmt.Sprintf("GitHub mergeable: false (%s)", pr.MergeableState), nil
	}
	return nil, fmt.Sprintf("GitHub mergeable: %t (%s)", *pr.Mergeable, pr.MergeableState), nil
}
