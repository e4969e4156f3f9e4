package config

import (
	"strings"
	"testing"
	"time"
)

func TestPromoteDefaults(t *testing.T) {
	t.Parallel()
	var p Promote
	if p.StrategyName() != BlueGreen || p.WatchWindow() != 30*time.Minute || p.EvalInterval() != 10*time.Second ||
		p.ScaleDown() != 5*time.Minute || p.Keep() != 10 || !p.RollbackWhenCancelled() {
		t.Errorf("zero Promote defaults: %s %v %v %v %d %v", p.StrategyName(), p.WatchWindow(), p.EvalInterval(), p.ScaleDown(), p.Keep(), p.RollbackWhenCancelled())
	}
	r := p.Rollback
	if r.Failures() != 5 || r.NoDataPolicy() != NoDataFail || r.Thresholds.ErrorRateLimit() != 0.01 ||
		r.Thresholds.P95Limit() != 500*time.Millisecond || r.Thresholds.Restarts.MaxRestarts() != 3 || r.Thresholds.Restarts.Span() != 5*time.Minute {
		t.Errorf("zero Rollback defaults: %+v", r)
	}
}

func TestPromoteParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		check   func(t *testing.T, p Promote)
		wantErr string
	}{
		{
			name: "the issue's example",
			in: `promote:
  strategy: blue-green
  watch: 30m
  interval: 100ms
  scale-down-delay: 0s
  checks:
    service: [{service: web, requests: 2}]
  rollback:
    consecutive-failures: 5
    thresholds: {error-rate: 2.5%, p95: 250ms, restarts: {max: 1, within: 2m}}
    no-data: ignore
`,
			check: func(t *testing.T, p Promote) {
				th := p.Rollback.Thresholds
				if p.EvalInterval() != 100*time.Millisecond || p.ScaleDown() != 0 || th.ErrorRateLimit() != 0.025 ||
					th.P95Limit() != 250*time.Millisecond || th.Restarts.MaxRestarts() != 1 || p.Rollback.NoDataPolicy() != NoDataIgnore {
					t.Errorf("parsed %+v", p)
				}
			},
		},
		{name: "a fraction is a percentage too", in: "promote:\n  rollback:\n    thresholds: {error-rate: 0.05}\n",
			check: func(t *testing.T, p Promote) {
				if got := p.Rollback.Thresholds.ErrorRateLimit(); got != 0.05 || got.String() != "5%" {
					t.Errorf("error-rate = %v (%s)", float64(got), got)
				}
			}},
		{name: "unknown strategy", in: "promote:\n  strategy: canary\n", wantErr: `promote.strategy "canary": use blue-green, rolling or weighted`},
		{name: "weighted needs a split url", in: "promote:\n  strategy: weighted\n", wantErr: "promote.weighted.split.url is empty"},
		{name: "watch shorter than interval", in: "promote:\n  watch: 5s\n  interval: 10s\n", wantErr: "promote.watch 5s is shorter than promote.interval 10s"},
		{name: "bad percentage", in: "promote:\n  rollback:\n    thresholds: {error-rate: lots}\n", wantErr: `"lots" is not a percentage; write it as 1% or as a fraction`},
		{name: "percentage over 100", in: "promote:\n  rollback:\n    thresholds: {error-rate: 150%}\n", wantErr: "promote.rollback.thresholds.error-rate 150%: want 0% to 100%"},
		{name: "no-data policy", in: "promote:\n  rollback:\n    no-data: pass\n", wantErr: `promote.rollback.no-data "pass": use fail`},
		{name: "metric rules", in: `promote:
  interval: 1s
  rollback:
    prometheus: {url: "http://127.0.0.1:9090"}
    sustained: [{name: errors, prometheus: 'sum(rate(http_requests_total{code="500"}[1m]))', above: 1, for: 5s, no-data: ignore}]
    drop: [{name: orders, prometheus: 'sum(rate(orders_total[1m]))', by: 30%, baseline: 10m}]
    cpu: [{container: web, above: 100%, for: 3m, rate: 30s}]
`, check: func(t *testing.T, p Promote) {
			r := p.Rollback
			if r.MetricRules() != 3 || *r.Sustained[0].Above != 1 || r.Sustained[0].For != 5*time.Second || *r.Drop[0].By != 0.3 ||
				r.Drop[0].BaselineWindow() != 10*time.Minute || r.CPU[0].Limit() != 1 || r.CPU[0].Duration() != 3*time.Minute || r.CPU[0].RateWindow() != 30*time.Second {
				t.Errorf("parsed %+v", r)
			}
		}},
		{name: "cpu rule defaults", in: "promote:\n  rollback:\n    prometheus: {service: monitoring/prometheus}\n    cpu: [{container: web}]\n", check: func(t *testing.T, p Promote) {
			c := p.Rollback.CPU[0]
			if c.Limit() != 0.9 || c.Duration() != 3*time.Minute || c.RateWindow() != time.Minute || p.Rollback.Drop != nil {
				t.Errorf("parsed %+v", c)
			}
		}},
		{name: "metric rules need a prometheus", in: "promote:\n  rollback:\n    cpu: [{container: web}]\n", wantErr: "promote.rollback.prometheus is not set"},
		{name: "prometheus is http", in: "promote:\n  rollback:\n    prometheus: {url: 'ftp://prom:9090'}\n", wantErr: `promote.rollback.prometheus.url "ftp://prom:9090": want an absolute http or https URL`},
		{name: "drop by 130%", in: "promote:\n  rollback:\n    prometheus: {url: 'http://prom:9090'}\n    drop: [{name: orders, prometheus: 'sum(orders_total)', by: 130%}]\n", wantErr: "promote.rollback.drop[0].by 130%: want more than 0% and less than 100%"},
		{name: "drop by not set", in: "promote:\n  rollback:\n    prometheus: {url: 'http://prom:9090'}\n    drop: [{name: orders, prometheus: 'sum(orders_total)'}]\n", wantErr: "promote.rollback.drop[0].by is not set"},
		{name: "for shorter than the interval", in: "promote:\n  interval: 10s\n  rollback:\n    prometheus: {url: 'http://prom:9090'}\n    sustained: [{name: cpu, prometheus: up, above: 1, for: 5s}]\n", wantErr: "promote.rollback.sustained[0].for 5s is shorter than promote.interval 10s"},
		{name: "sustained without a bound", in: "promote:\n  rollback:\n    prometheus: {url: 'http://prom:9090'}\n    sustained: [{name: cpu, prometheus: up, for: 3m}]\n", wantErr: "promote.rollback.sustained[0]: set one of above and below"},
		{name: "sustained with both bounds", in: "promote:\n  rollback:\n    prometheus: {url: 'http://prom:9090'}\n    sustained: [{name: cpu, prometheus: up, above: 1, below: 0, for: 3m}]\n", wantErr: "promote.rollback.sustained[0]: set one of above and below"},
		{name: "empty query", in: "promote:\n  rollback:\n    prometheus: {url: 'http://prom:9090'}\n    sustained: [{name: cpu, above: 1, for: 3m}]\n", wantErr: "promote.rollback.sustained[0].prometheus is empty"},
		{name: "rule names are unique", in: "promote:\n  rollback:\n    prometheus: {url: 'http://prom:9090'}\n    sustained: [{name: x, prometheus: up, above: 1, for: 3m}]\n    drop: [{name: x, prometheus: up, by: 10%}]\n", wantErr: `promote.rollback.drop[0].name "x" is the name of promote.rollback.sustained[0] too`},
		{name: "rule no-data", in: "promote:\n  rollback:\n    prometheus: {url: 'http://prom:9090'}\n    drop: [{name: x, prometheus: up, by: 10%, no-data: pass}]\n", wantErr: `promote.rollback.drop[0].no-data "pass": use fail`},
		{name: "cpu container", in: "promote:\n  rollback:\n    prometheus: {url: 'http://prom:9090'}\n    cpu: [{above: 90%}]\n", wantErr: `promote.rollback.cpu[0].container "": name a container`},
		{name: "checks name their field", in: "promote:\n  checks:\n    service: [{service: Web_1}]\n", wantErr: `promote.checks.service[0].service "Web_1"`},
		{name: "traffic names its field", in: "promote:\n  traffic:\n    endpoints: [{}]\n", wantErr: "promote.traffic.endpoints[0]: set url"},
		{name: "keep at least two", in: "promote:\n  keep-revisions: 1\n", wantErr: "promote.keep-revisions 1: use a number from 2 to 100"},
		{name: "app is a DNS label", in: "promote:\n  app: Shop Web\n", wantErr: `promote.app "Shop Web": want a DNS label`},
		{name: "version header", in: "promote:\n  version-header: 'X Version'\n", wantErr: `promote.version-header "X Version"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse("shipgate.yml", []byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse() error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c.Promote)
		})
	}
}
