package load

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/monitor"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// measured is a load of 50/s for 10 s that went well.
func measured() Results {
	return Results{
		Target: "service/shop/web:http/", Object: "Service/shop/web", Declared: 50,
		Started: t0, Ended: t0.Add(10 * time.Second), Requests: 500, Succeeded: 500, Rate: 49.9, Throughput: 49.8,
		P50: 2 * time.Millisecond, P95: 8 * time.Millisecond, P99: 20 * time.Millisecond, Max: 40 * time.Millisecond,
		Codes: map[int]int{200: 500}, Errors: map[string]int{},
	}
}

func TestChecks(t *testing.T) {
	t.Parallel()
	all := config.LoadLimits{MinSuccess: pctp(0.95), P50: 5 * time.Millisecond, P95: 10 * time.Millisecond, P99: 50 * time.Millisecond, RateWithin: pctp(0.05), MinThroughput: pctp(0.9)}
	names := []string{
		"[load] success ratio should be at least 95%", "[load] p50 latency should be at most 5ms", "[load] p95 latency should be at most 10ms",
		"[load] p99 latency should be at most 50ms", "[load] rate should be within 5% of 50/s", "[load] throughput should be at least 90% of 50/s",
	}
	tests := []struct {
		name   string
		limits config.LoadLimits
		edit   func(*Results)
		// names are the checks' names; failing maps the failing ones to
		// text of their finding.
		names   []string
		failing map[string]string
		// skipped maps the skipped checks to why.
		skipped map[string]string
	}{
		{name: "no limits: the success ratio at 99%", names: []string{"[load] success ratio should be at least 99%"}},
		{name: "every limit met", limits: all, names: names},
		{
			name: "the rate 10% short", limits: all, names: names,
			edit:    func(r *Results) { r.Rate, r.Throughput = 45, 45 },
			failing: map[string]string{"[load] rate should be within 5% of 50/s": "sent 500 requests at 45/s, 10% from the declared 50/s (allowed: 5%)"},
		},
		{
			name: "the rate 10% over", limits: all, names: names,
			edit:    func(r *Results) { r.Rate = 55 },
			failing: map[string]string{"[load] rate should be within 5% of 50/s": "at 55/s, 10% from the declared 50/s"},
		},
		{
			name: "errors and slow answers", limits: all, names: names,
			edit: func(r *Results) {
				r.Succeeded, r.Throughput, r.P95, r.P99 = 400, 39.9, 900*time.Millisecond, 1200*time.Millisecond
				r.Codes, r.Errors = map[int]int{200: 400, 503: 90, 0: 10}, map[string]int{"status 503": 90, "Get service/shop/web:http/: timeout": 10}
			},
			failing: map[string]string{
				"[load] success ratio should be at least 95%":      "100 of 500 requests to service/shop/web:http/ failed (80% succeeded, at least 95% wanted): status 503 ×90, Get service/shop/web:http/: timeout ×10",
				"[load] p95 latency should be at most 10ms":        "was 900ms, above the limit 10ms",
				"[load] p99 latency should be at most 50ms":        "was 1.2s, above the limit 50ms",
				"[load] throughput should be at least 90% of 50/s": "39.9 successful requests a second under a load of 50/s: 79.8% of it, below 90%",
			},
		},
		{
			name: "one request has no rate: skipped, the others judged", limits: all, names: names,
			edit:    func(r *Results) { r.Requests, r.Succeeded, r.Rate, r.Throughput = 1, 1, 0, 50 },
			skipped: map[string]string{names[4]: "one request was sent: a rate needs two"},
		},
		{
			name: "nothing sent fails every check", limits: all, names: names,
			edit: func(r *Results) { *r = Results{Target: r.Target, Declared: 50} },
			failing: map[string]string{names[0]: "ended before it sent a request", names[1]: "ended before", names[2]: "ended before",
				names[3]: "ended before", names[4]: "ended before", names[5]: "ended before"},
		},
		{
			name: "not run fails every check", limits: all, names: names,
			edit: func(r *Results) {
				*r = NotRunResults(config.LoadSpec{Rate: 50, Limits: all}, r.Target, "service shop/web has no port \"api\"")
			},
			failing: map[string]string{names[0]: `did not run: service shop/web has no port "api"`, names[1]: "did not run", names[2]: "did not run",
				names[3]: "did not run", names[4]: "did not run", names[5]: "did not run"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := measured()
			r.Limits = tc.limits
			if tc.edit != nil {
				tc.edit(&r)
				r.Limits = tc.limits
			}
			var got []string
			for _, c := range r.Checks(DefaultPrefix) {
				got = append(got, c.Name)
				want, fail := tc.failing[c.Name]
				switch {
				case fail && !c.Failed():
					t.Errorf("%s passed, want it to fail with %q", c.Name, want)
				case fail && !strings.Contains(c.Findings[0].Message, want):
					t.Errorf("%s: finding %q, want it to contain %q", c.Name, c.Findings[0].Message, want)
				case !fail && c.Failed():
					t.Errorf("%s failed: %s", c.Name, c.Findings[0].Message)
				}
				if got, want := c.Skipped, tc.skipped[c.Name]; got != want {
					t.Errorf("%s skipped %q, want %q", c.Name, got, want)
				}
				if c.Description == "" && c.Skipped == "" {
					t.Errorf("%s has no description", c.Name)
				}
			}
			if diff := cmp.Diff(tc.names, got); diff != "" {
				t.Errorf("check names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIntervals(t *testing.T) {
	t.Parallel()
	r := measured()
	r.Ended = t0.Add(4500 * time.Millisecond)
	r.Seconds = []Second{
		{At: t0, Requests: 50},
		{At: t0.Add(time.Second), Requests: 50},
		{At: t0.Add(2 * time.Second), Requests: 50, Failed: 3, Errors: map[string]int{"status 503": 3}},
		{At: t0.Add(3 * time.Second), Requests: 50, Failed: 1, Errors: map[string]int{"status 503": 1}},
		{At: t0.Add(4 * time.Second), Requests: 25},
	}
	loc := "load service/shop/web:http/"
	want := []monitor.Interval{
		{From: t0, To: t0.Add(2 * time.Second), Level: monitor.Info, Source: Source, Locator: loc, Message: "100 requests at 50/s declared, all answered 2xx"},
		{From: t0.Add(2 * time.Second), To: t0.Add(4 * time.Second), Level: monitor.Error, Source: Source, Locator: loc, Message: "4 of 100 requests failed: status 503 ×4"},
		{From: t0.Add(4 * time.Second), To: t0.Add(4500 * time.Millisecond), Level: monitor.Info, Source: Source, Locator: loc, Message: "25 requests at 50/s declared, all answered 2xx"},
	}
	if diff := cmp.Diff(want, r.Intervals()); diff != "" {
		t.Errorf("Intervals() (-want +got):\n%s", diff)
	}
}

func TestLines(t *testing.T) {
	t.Parallel()
	r := measured()
	r.Paths = []PathCount{{Label: "GET /", Weight: 3, Requests: 375}, {Label: "POST /orders", Weight: 1, Requests: 125}}
	want := []string{
		"Load on service/shop/web:http/: 500 requests in 10s, sent at 49.9/s (declared 50/s, 99.8% of it), throughput 49.8/s, 100% succeeded; latency p50 2ms, p95 8ms, p99 20ms, max 40ms.",
		"Load answers: 200 ×500.",
		"Load by path: GET / ×375 (weight 3, 0 failed), POST /orders ×125 (weight 1, 0 failed).",
	}
	if diff := cmp.Diff(want, r.Lines()); diff != "" {
		t.Errorf("Lines() (-want +got):\n%s", diff)
	}
	if got := NotRunResults(config.LoadSpec{Rate: 50}, "service/shop/web", "no cluster").Lines(); len(got) != 1 || !strings.Contains(got[0], "did not run: no cluster") {
		t.Errorf("not run: %q", got)
	}
}
