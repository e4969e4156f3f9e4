package sandbox

import (
	"context"
	"fmt"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/health"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/load"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// upperTiers runs the service and business tiers against the deployed
// app: Services through the API server's service proxy, URLs directly.
// With sandbox.load configured, the load runs from before the service
// tier until its own bounds (duration, max-requests) end it; its results
// are checks and summary lines, and its timeline goes to the report
// directory.
func upperTiers(ctx context.Context, env *stage.Env, cl *provider.Cluster, dep deploy.Result) ([]result.Check, []string, error) {
	r, err := httpcheck.NewResolver(cl.Config, cl.Client, cl.Handle.UsedNamespace)
	if err != nil {
		return nil, nil, err
	}
	loc := health.LocateIn(dep.Objects, cl.Handle.UsedNamespace)
	cfg := env.Config.Sandbox
	var run *load.Run
	if cfg.Load.Enabled() {
		env.RT.Logf("load: %v/s on %s for at most %s during the service and business tiers", cfg.Load.Rate, cfg.Load.Target, cfg.Load.For())
		run = load.Launch(ctx, r, cfg.Load)
		defer run.Stop()
	}
	svc, err := health.Service(ctx, r, cfg.Service, loc)
	if err != nil {
		return nil, nil, fmt.Errorf("service tier: %w", err)
	}
	biz, err := health.Business(ctx, r, cfg.Business, loc)
	if err != nil {
		return nil, nil, fmt.Errorf("business tier: %w", err)
	}
	checks := append(svc, biz...)
	if !cl.PodNetwork && (len(cfg.Service) > 0 || len(cfg.Business.JSON) > 0 || cfg.Load.Enabled()) {
		env.RT.Warnf("provider local runs without a pod network here, so Services do not answer: run as root with iproute2, or use provider kind")
	}
	if run == nil {
		return checks, nil, nil
	}
	more, notes, err := loadResults(env, cl.Handle.UsedNamespace, run.Wait())
	if err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	return append(checks, more...), notes, nil
}
