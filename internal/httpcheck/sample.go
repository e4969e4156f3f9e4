package httpcheck

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/config"
)

// maxFailures is how many distinct failures Stats keeps as evidence.
const maxFailures = 3

// Stats measures a sample of requests to one endpoint.
type Stats struct {
	// Target names the endpoint as evidence does; Object is its Service
	// ("Service/namespace/name"), or empty for a URL.
	Target, Object string
	// Requests is how many requests were sent; Errors how many of them
	// failed: no response, or a status other than the expected one.
	Requests, Errors int
	// Responses is how many requests were answered, whatever the status;
	// the latency percentiles are over these.
	Responses int
	// P50, P95, P99 and Max are latency percentiles (nearest rank) of the
	// responses; 0 when there were none.
	P50, P95, P99, Max time.Duration
	// Failures are the first few distinct failures, as evidence.
	Failures []string
	// Err says why the sample is incomplete: the endpoint could not be
	// resolved (nothing was sent), or ctx ended.
	Err error
}

// ErrorRate is Errors as a fraction of Requests; 0 when none were sent.
func (s Stats) ErrorRate() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Errors) / float64(s.Requests)
}

// String sums the sample up in one line, e.g. "20 requests: p50 2ms, p95
// 4ms, p99 5ms, max 5ms; 0 errors (0%)".
func (s Stats) String() string {
	lat := "no responses to measure"
	if s.Responses > 0 {
		lat = fmt.Sprintf("p50 %s, p95 %s, p99 %s, max %s", FormatLatency(s.P50), FormatLatency(s.P95), FormatLatency(s.P99), FormatLatency(s.Max))
	}
	return fmt.Sprintf("%d request%s: %s; %d error%s (%s)", s.Requests, plural(s.Requests), lat, s.Errors, plural(s.Errors), FormatRate(s.ErrorRate()))
}

// Sample sends n GET requests, one after another over reused connections,
// to ep, each within timeout, and measures them. A request fails when it
// gets no response or a status other than expectStatus. It stops early
// when ctx ends (Err says so). n below 1 is taken as 1, so a sample is
// never empty; a zero expectStatus means 200.
func (r *Resolver) Sample(ctx context.Context, ep config.Endpoint, n int, timeout time.Duration, expectStatus int) Stats {
	n, expectStatus = max(n, 1), cmp.Or(expectStatus, http.StatusOK)
	t, err := r.Resolve(ctx, ep)
	s := Stats{Target: t.Name, Object: t.Object, Err: err}
	if err != nil {
		return s
	}
	client := t.Client(expectStatus/100 != 3)
	check := config.HTTPCheck{Endpoint: ep, Timeout: timeout}
	seen := map[string]bool{}
	var lat []time.Duration
	for range n {
		if err := ctx.Err(); err != nil {
			s.Err = fmt.Errorf("sample of %s stopped after %d of %d requests: %w", s.Target, s.Requests, n, err)
			break
		}
		obs := Observation{Method: http.MethodGet, Target: t.Name, Object: t.Object}
		r.send(ctx, client, t.URL, check, &obs)
		s.Requests++
		if obs.Status != 0 {
			s.Responses++
			lat = append(lat, obs.Latency)
		}
		problems := Evaluate(obs, config.Expect{Status: expectStatus})
		if len(problems) == 0 {
			continue
		}
		s.Errors++
		key := strings.Join(problems, "; ")
		if !seen[key] && len(s.Failures) < maxFailures {
			seen[key] = true
			s.Failures = append(s.Failures, key+"\n"+obs.Evidence())
		}
	}
	slices.Sort(lat)
	s.P50, s.P95, s.P99 = Percentile(lat, 0.50), Percentile(lat, 0.95), Percentile(lat, 0.99)
	if len(lat) > 0 {
		s.Max = lat[len(lat)-1]
	}
	return s
}

// Percentile returns the p-th percentile (0 < p <= 1) of sorted latencies
// by the nearest-rank method: the smallest value at least a fraction p of
// the values are not above. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// FormatRate renders a fraction as a percentage with up to two decimals,
// e.g. 0.015 as "1.5%".
func FormatRate(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", 100*f), "0"), ".") + "%"
}
