package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/publish"
	"github.com/shipgate/shipgate/internal/stage"
	"github.com/shipgate/shipgate/internal/stage/promote"
)

// PostCommand is the argument the action's post-entrypoint passes: the
// runner runs it after the job's other steps, also when the job failed or
// was cancelled.
const PostCommand = "post"

// postTimeout bounds the removal of what the main step made.
const postTimeout = 5 * time.Minute

// recoverTimeout bounds the recovery of an unfinished promotion: the wait
// for the dead main step's Lease, a rollback within the stage's timeout
// (10 minutes by default) and its verification.
const recoverTimeout = 20 * time.Minute

// runPost finishes what the main step left: a promotion whose revision
// is unfinished (the job was cancelled or the process killed) is
// recovered, and what the main step saved handles for (a kind cluster, a
// namespace in an existing cluster) is removed. With nothing saved it
// does nothing.
func runPost(ctx context.Context, rt *actionio.Runtime, sys IO) int {
	handles, err := provider.DecodeHandles(rt.State(provider.StateKey))
	if err != nil {
		rt.Errorf("post: %v", err)
		return ExitError
	}
	revision := rt.State(promote.StateKey)
	if len(handles) == 0 && revision == "" {
		return ExitOK
	}
	in, err := readInputs(rt, nil, sys.Stderr)
	if err != nil {
		rt.Errorf("post: %v", err)
		return ExitError
	}
	var errs []error
	if revision != "" {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recoverTimeout)
		errs = append(errs, recoverPromotion(rctx, rt, in, sys, revision))
		cancel()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postTimeout)
	defer cancel()
	spec := provider.Spec{Kubeconfig: in.Kubeconfig, KubeconfigPath: in.KubeconfigPath, Workspace: in.Repo, Logf: rt.Logf}
	for _, h := range handles {
		if h.Provider == "" {
			continue
		}
		rt.Logf("post: removing %s", h)
		if err := provider.Cleanup(ctx, h, spec); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", h, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		rt.Errorf("post: %v", err)
		return ExitError
	}
	return ExitOK
}

// recoverPromotion hands an unfinished promotion to the promote stage's
// recovery, with the main step's inputs and config.
func recoverPromotion(ctx context.Context, rt *actionio.Runtime, in stage.Inputs, sys IO, revision string) error {
	rt.Logf("post: the promotion of revision %s did not finish in the main step; recovering it", revision)
	_, env, err := prepare(rt, in, sys)
	if err != nil {
		return fmt.Errorf("recover the promotion of revision %s: %w", revision, err)
	}
	env.Publisher = publish.New(rt, nil, env.Job.RunURL(), "", sys.Now)
	return promote.Recover(ctx, env, revision)
}
