package health

import (
	"context"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/result"
)

// Once runs the service and business tiers' checks once each, without the
// warm-up and retries a fresh deploy gets: one evaluation of a watched
// window, where a failing answer must count at once. Service checks send
// their RequestCount requests, JSON checks one, Prometheus queries one.
func Once(ctx context.Context, r *httpcheck.Resolver, service []config.ServiceCheck, business config.Business, loc Locator) ([]result.Check, error) {
	var out []result.Check
	for _, c := range service {
		start := time.Now()
		s := r.Sample(ctx, c.Endpoint, c.RequestCount(), c.RequestTimeout(), c.ExpectedStatus())
		if err := fatal(ctx, s.Err); err != nil {
			return out, fmt.Errorf("service check %s: %w", c.DisplayName(), err)
		}
		chk := judgeService(c, s, loc)
		chk.Duration = time.Since(start)
		out = append(out, chk)
	}
	for _, c := range business.JSON {
		start := time.Now()
		o := httpcheck.Outcome{Last: r.Do(ctx, c), Attempts: 1}
		if err := fatal(ctx, o.Last.Err); err != nil {
			return out, fmt.Errorf("check %s: %w", c.DisplayName(), err)
		}
		o.Problems = httpcheck.Evaluate(o.Last, c.Expect)
		o.Elapsed = time.Since(start)
		chk := judgeHTTP("business/json/", c, o, loc)
		chk.Duration = o.Elapsed
		out = append(out, chk)
	}
	if business.Prometheus.Configured() {
		prom, err := prometheusChecks(ctx, r, business.Prometheus)
		out = append(out, prom...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
