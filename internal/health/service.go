package health

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/result"
)

// WarmUp bounds the wait for a service check's first expected answer
// before its requests are measured.
var WarmUp = 30 * time.Second

// Service runs the service tier: for each check, RequestCount GET requests
// one after another, measured. A check fails when its p95 latency is over
// P95Limit, or the fraction of requests without the expected status (or
// without an answer) is over ErrorRateLimit; its finding has the measured
// p50/p95/p99/max, error rate and the first distinct failures. With no
// checks it returns one skipped check that says what to add.
func Service(ctx context.Context, r *httpcheck.Resolver, checks []config.ServiceCheck, loc Locator) ([]result.Check, error) {
	if len(checks) == 0 {
		return []result.Check{{Name: CheckService, Description: "service tier: latency and error rate of the app's endpoints", Skipped: NoServiceChecks}}, nil
	}
	var out []result.Check
	for _, c := range checks {
		start := time.Now()
		// Warm up: a workload just Ready may not be in its Service's
		// endpoints yet. Measure from the first expected answer; one that
		// never comes shows in the sample.
		warm := r.Retry(ctx, config.HTTPCheck{
			Endpoint: c.Endpoint, Expect: config.Expect{Status: c.ExpectedStatus()},
			Timeout: c.RequestTimeout(), Deadline: WarmUp,
		})
		s := r.Sample(ctx, c.Endpoint, c.RequestCount(), c.RequestTimeout(), c.ExpectedStatus())
		if err := fatal(ctx, s.Err); err != nil {
			return out, fmt.Errorf("service check %s: %w", c.DisplayName(), err)
		}
		chk := judgeService(c, s, loc)
		if warm.Attempts > 1 {
			chk.Description += fmt.Sprintf("; first expected answer after %d attempts (%s)", warm.Attempts, warm.Elapsed.Round(time.Millisecond))
		}
		chk.Duration = time.Since(start)
		out = append(out, chk)
	}
	return out, nil
}

// judgeService holds a sample to the check's limits.
func judgeService(c config.ServiceCheck, s httpcheck.Stats, loc Locator) result.Check {
	name := "service/" + c.DisplayName()
	p95, rate := c.P95Limit(), c.ErrorRateLimit()
	limits := fmt.Sprintf("p95 at most %s, error rate at most %s (status %d expected)", p95, httpcheck.FormatRate(rate), c.ExpectedStatus())
	chk := result.Check{Name: name, Description: fmt.Sprintf("%d GET requests to %s: %s", c.RequestCount(), s.Target, limits)}
	if s.Err != nil {
		chk.Findings = append(chk.Findings, failure(name, s.Object, fmt.Sprintf("%s: cannot reach %s", c.DisplayName(), s.Target),
			fmt.Sprintf("No requests were sent: %v.\nCheck that the Service exists in the namespace and has the port, or fix sandbox.service.", s.Err), loc))
		return chk
	}
	chk.Description += "; measured " + s.String()
	var over []string
	if s.ErrorRate() > rate {
		over = append(over, fmt.Sprintf("error rate %s over %s", httpcheck.FormatRate(s.ErrorRate()), httpcheck.FormatRate(rate)))
	}
	if s.Responses > 0 && s.P95 > p95 {
		over = append(over, fmt.Sprintf("p95 %s over %s", httpcheck.FormatLatency(s.P95), p95))
	}
	if len(over) == 0 {
		return chk
	}
	msg := fmt.Sprintf("%d GET requests to %s.\nMeasured: %s.\nLimits: %s.", s.Requests, s.Target, s.String(), limits)
	if len(s.Failures) > 0 {
		msg += "\nFirst failures:\n" + bullets(s.Failures)
	}
	chk.Findings = append(chk.Findings, failure(name, s.Object, c.DisplayName()+": "+strings.Join(over, ", "), msg, loc))
	return chk
}
