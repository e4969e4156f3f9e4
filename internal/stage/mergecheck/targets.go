package mergecheck

import (
	"context"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/internal/stage"
)

// target is one merge to check: head into the current tip of base.
type target struct {
	// label names the target in reports ("PR #12"); empty on the CLI.
	label string
	// pull is the pull request number; 0 for merge groups and the CLI.
	pull int
	// base is the branch merged into, without refs/heads/.
	base string
	// eventBaseSHA is the base tip the event saw, to tell when it moved.
	eventBaseSHA string
	// headSHA is the commit merged and the one the check run is attached to.
	headSHA string
	// headRefspec fetches the head from origin ("" on the CLI).
	headRefspec string
}

// supported lists the events merge-check understands.
var supported = []string{"pull_request", "pull_request_target", "merge_group", "push", "schedule", "workflow_dispatch"}

// validateEvent refuses an event merge-check cannot check, before any side effect.
func validateEvent(env *stage.Env) error {
	if env.Event == nil {
		return nil
	}
	ev := env.Event
	switch ev.Name {
	case "pull_request", "pull_request_target":
		if ev.PullRequest == nil || ev.PullRequest.Number == 0 || ev.PullRequest.Head.SHA == "" || ev.PullRequest.Base.Ref == "" {
			return fmt.Errorf("the %s event payload has no pull_request with number, head.sha and base.ref", ev.Name)
		}
	case "merge_group":
		if ev.MergeGroup == nil || ev.MergeGroup.HeadSHA == "" || ev.MergeGroup.BaseRef == "" {
			return fmt.Errorf("the merge_group event payload has no merge_group with head_sha and base_ref")
		}
	case "push":
		if !strings.HasPrefix(ev.Ref, "refs/heads/") {
			return fmt.Errorf("merge-check on push needs a branch push; %q is not a branch (run it on branch pushes only: on.push.branches)", ev.Ref)
		}
	case "schedule", "workflow_dispatch":
	default:
		return fmt.Errorf("merge-check does not run on %q events; trigger it on one of: %s", ev.Name, strings.Join(supported, ", "))
	}
	return nil
}

// plan turns the event (or the CLI flags) into the merges to check. On
// push, schedule and workflow_dispatch every open pull request into the
// branch is checked against its new tip.
func plan(ctx context.Context, env *stage.Env) ([]target, error) {
	ev := env.Event
	if ev == nil {
		return []target{{base: env.Inputs.Base, headSHA: env.Inputs.Head}}, nil
	}
	switch ev.Name {
	case "pull_request", "pull_request_target":
		pr := ev.PullRequest
		return []target{{
			label:        fmt.Sprintf("PR #%d", pr.Number),
			pull:         pr.Number,
			base:         pr.Base.Ref,
			eventBaseSHA: pr.Base.SHA,
			headSHA:      pr.Head.SHA,
			headRefspec:  fmt.Sprintf("+refs/pull/%d/head:refs/shipgate/pull/%d", pr.Number, pr.Number),
		}}, nil
	case "merge_group":
		mg := ev.MergeGroup
		return []target{{
			label:        "merge group " + strings.TrimPrefix(mg.HeadRef, "refs/heads/"),
			base:         strings.TrimPrefix(mg.BaseRef, "refs/heads/"),
			eventBaseSHA: mg.BaseSHA,
			headSHA:      mg.HeadSHA,
			headRefspec:  "+" + mg.HeadRef + ":refs/shipgate/merge-group",
		}}, nil
	}
	base := strings.TrimPrefix(ev.Ref, "refs/heads/")
	if ev.Name != "push" {
		base = env.Job.RefName
		if base == "" {
			base = ev.Repository.DefaultBranch
		}
	}
	pulls, err := env.GitHub.OpenPulls(ctx, base)
	if err != nil {
		return nil, err
	}
	var ts []target
	for _, p := range pulls {
		ts = append(ts, target{
			label:       fmt.Sprintf("PR #%d", p.Number),
			pull:        p.Number,
			base:        base,
			headSHA:     p.HeadSHA,
			headRefspec: fmt.Sprintf("+refs/pull/%d/head:refs/shipgate/pull/%d", p.Number, p.Number),
		})
	}
	return ts, nil
}
