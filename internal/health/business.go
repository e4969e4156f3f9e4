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

// Business runs the business tier: each JSON check is retried (with
// backoff, up to its deadline) until its answer meets its expectations,
// and each Prometheus query's every sample must lie within its bounds.
// With nothing configured it returns one skipped check that says what to
// add; a Prometheus without queries is a skipped business/prometheus check.
func Business(ctx context.Context, r *httpcheck.Resolver, b config.Business, loc Locator) ([]result.Check, error) {
	if len(b.JSON) == 0 && !b.Prometheus.Configured() {
		return []result.Check{{Name: CheckBusiness, Description: "business tier: the app's JSON answers and Prometheus metrics", Skipped: NoBusinessChecks}}, nil
	}
	out, err := HTTPChecks(ctx, r, "business/json/", b.JSON, loc)
	if err != nil || !b.Prometheus.Configured() {
		return out, err
	}
	prom, err := prometheusChecks(ctx, r, b.Prometheus)
	out = append(out, prom...)
	return out, err
}

// HTTPChecks runs HTTP checks (the business tier's JSON checks, the smoke
// stage's checks): each is retried with backoff, up to its deadline, until
// its answer meets its expectations. Each becomes a check named prefix
// plus its name, whose failure has the problems and the last answer. An
// error means the checks could not run (ctx ended, no cluster for a
// Service).
func HTTPChecks(ctx context.Context, r *httpcheck.Resolver, prefix string, checks []config.HTTPCheck, loc Locator) ([]result.Check, error) {
	var out []result.Check
	for _, c := range checks {
		start := time.Now()
		o := r.Retry(ctx, c)
		if err := fatal(ctx, o.Last.Err); err != nil {
			return out, fmt.Errorf("check %s: %w", c.DisplayName(), err)
		}
		chk := judgeHTTP(prefix, c, o, loc)
		chk.Duration = time.Since(start)
		out = append(out, chk)
	}
	return out, nil
}

// judgeHTTP turns a retried check's outcome into a result check.
func judgeHTTP(prefix string, c config.HTTPCheck, o httpcheck.Outcome, loc Locator) result.Check {
	name := prefix + c.DisplayName()
	chk := result.Check{
		Name:        name,
		Description: fmt.Sprintf("%s %s: %s; %s", o.Last.Method, o.Last.Target, describeExpect(c.Expect), o.Summary()),
	}
	if o.Passed() {
		return chk
	}
	title := c.DisplayName() + ": " + o.Problems[0]
	if n := len(o.Problems) - 1; n > 0 {
		title += fmt.Sprintf(" (and %d more)", n)
	}
	msg := fmt.Sprintf("%s %s %s (deadline %s).\nProblems:\n%s\nLast answer:\n%s",
		o.Last.Method, o.Last.Target, o.Summary(), c.RetryDeadline(), bullets(o.Problems), o.Last.Evidence())
	chk.Findings = append(chk.Findings, failure(name, o.Last.Object, title, msg, loc))
	return chk
}

// describeExpect says in a line what an answer must be.
func describeExpect(e config.Expect) string {
	parts := []string{fmt.Sprintf("status %d", e.StatusOr200())}
	if e.BodyContains != "" {
		parts = append(parts, fmt.Sprintf("body contains %q", e.BodyContains))
	}
	if e.BodyRegex != "" {
		parts = append(parts, fmt.Sprintf("body matches %q", e.BodyRegex))
	}
	for _, j := range e.JSON {
		if j.Equals != nil {
			parts = append(parts, fmt.Sprintf("json %s = %q", j.Path, *j.Equals))
		}
		if j.GreaterThan != nil {
			parts = append(parts, fmt.Sprintf("json %s > %v", j.Path, *j.GreaterThan))
		}
		if j.LessThan != nil {
			parts = append(parts, fmt.Sprintf("json %s < %v", j.Path, *j.LessThan))
		}
	}
	if e.MaxLatency > 0 {
		parts = append(parts, fmt.Sprintf("latency at most %s", e.MaxLatency))
	}
	return strings.Join(parts, ", ")
}
