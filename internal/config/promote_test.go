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
		{name: "unknown strategy", in: "promote:\n  strategy: canary\n", wantErr: `promote.strategy "canary": use blue-green or rolling`},
		{name: "weighted is not yet", in: "promote:\n  strategy: weighted\n", wantErr: "promote.strategy weighted (Gateway API weights) is not in this version"},
		{name: "watch shorter than interval", in: "promote:\n  watch: 5s\n  interval: 10s\n", wantErr: "promote.watch 5s is shorter than promote.interval 10s"},
		{name: "bad percentage", in: "promote:\n  rollback:\n    thresholds: {error-rate: lots}\n", wantErr: `"lots" is not a percentage; write it as 1% or as a fraction`},
		{name: "percentage over 100", in: "promote:\n  rollback:\n    thresholds: {error-rate: 150%}\n", wantErr: "promote.rollback.thresholds.error-rate 150%: want 0% to 100%"},
		{name: "no-data policy", in: "promote:\n  rollback:\n    no-data: pass\n", wantErr: `promote.rollback.no-data "pass": use fail`},
		{name: "metric rules are named, not ignored", in: "promote:\n  rollback:\n    sustained: [{name: cpu, prometheus: up, above: 1, for: 3m}]\n", wantErr: "promote.rollback.sustained and drop (Prometheus metric rules) are not in this version"},
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
