package smoke

import (
	"context"

	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/load"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/stage"
)

// startLoad starts smoke.load against the cluster's namespace, or returns
// nil when none is configured. A target that does not resolve is a load
// that did not run: its checks fail saying why.
func startLoad(ctx context.Context, env *stage.Env, cl *provider.Cluster) (*load.Run, error) {
	cfg := env.Config.Smoke.Load
	if !cfg.Enabled() {
		return nil, nil
	}
	r, err := httpcheck.NewResolver(cl.Config, cl.Client, cl.Handle.UsedNamespace)
	if err != nil {
		return nil, err
	}
	env.RT.Logf("load: %v/s on %s during the rollout (at most %s)", cfg.Rate, cfg.Target, cfg.For())
	return load.Launch(ctx, r, cfg), nil
}
