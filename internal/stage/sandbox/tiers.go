package sandbox

import (
	"context"
	"fmt"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/health"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// upperTiers runs the service and business tiers against the deployed
// app: Services through the API server's service proxy, URLs directly.
func upperTiers(ctx context.Context, env *stage.Env, cl *provider.Cluster, dep deploy.Result) ([]result.Check, error) {
	r, err := httpcheck.NewResolver(cl.Config, cl.Client, cl.Handle.UsedNamespace)
	if err != nil {
		return nil, err
	}
	loc := health.LocateIn(dep.Objects, cl.Handle.UsedNamespace)
	cfg := env.Config.Sandbox
	svc, err := health.Service(ctx, r, cfg.Service, loc)
	if err != nil {
		return nil, fmt.Errorf("service tier: %w", err)
	}
	biz, err := health.Business(ctx, r, cfg.Business, loc)
	if err != nil {
		return nil, fmt.Errorf("business tier: %w", err)
	}
	checks := append(svc, biz...)
	if !cl.PodNetwork && (len(cfg.Service) > 0 || len(cfg.Business.JSON) > 0) {
		env.RT.Warnf("provider local runs without a pod network here, so Services do not answer: run as root with iproute2, or use provider kind")
	}
	return checks, nil
}
