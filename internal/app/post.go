package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/provider"
)

// PostCommand is the argument the action's post-entrypoint passes: the
// runner runs it after the job's other steps, also when the job failed or
// was cancelled.
const PostCommand = "post"

// postTimeout bounds the whole post step.
const postTimeout = 5 * time.Minute

// runPost removes what the main step saved handles for (a kind cluster, a
// namespace in an existing cluster). With nothing saved it does nothing.
func runPost(ctx context.Context, rt *actionio.Runtime, sys IO) int {
	handles, err := provider.DecodeHandles(rt.State(provider.StateKey))
	if err != nil {
		rt.Errorf("post: %v", err)
		return ExitError
	}
	if len(handles) == 0 {
		return ExitOK
	}
	in, err := readInputs(rt, nil, sys.Stderr)
	if err != nil {
		rt.Errorf("post: %v", err)
		return ExitError
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postTimeout)
	defer cancel()
	spec := provider.Spec{Kubeconfig: in.Kubeconfig, KubeconfigPath: in.KubeconfigPath, Workspace: in.Repo, Logf: rt.Logf}
	var errs []error
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
