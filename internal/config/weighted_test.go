package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWeightedDefaults(t *testing.T) {
	t.Parallel()
	c, err := Parse("shipgate.yml", []byte("promote:\n  strategy: weighted\n  version-header: X-Version\n  weighted:\n    split: {url: 'http://127.0.0.1:8000/'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Promote.Weighted
	if diff := cmp.Diff([]int{10, 50, 100}, w.StepList()); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if w.StepWatchFor() != time.Minute || w.GatewayWait() != 30*time.Second || w.SplitRequests() != 200 || c.Promote.SplitHeader() != "X-Version" {
		t.Errorf("defaults: %v %v %d %q", w.StepWatchFor(), w.GatewayWait(), w.SplitRequests(), c.Promote.SplitHeader())
	}
}

func TestWeightedParse(t *testing.T) {
	t.Parallel()
	const base = "promote:\n  strategy: weighted\n  interval: 1s\n  weighted:\n"
	tests := []struct {
		name    string
		in      string
		want    Shift
		wantErr string
	}{
		{name: "every field", in: base + "    steps: [5, 25, 100]\n    step-watch: 2m\n    route: web\n    gateway-timeout: 10s\n    split: {url: 'https://shop.example.com/', json: version, requests: 400, tolerance: 3%}\n",
			want: Shift{Steps: []int{5, 25, 100}, StepWatch: ptr(2 * time.Minute), Route: "web", GatewayTimeout: 10 * time.Second,
				Split: Split{Endpoint: Endpoint{URL: "https://shop.example.com/"}, JSON: "version", Requests: 400, Tolerance: ptr(Percent(0.03))}}},
		{name: "blue-green through a route", in: base + "    steps: [100]\n    step-watch: 0s\n    split: {url: 'http://127.0.0.1:1/', header: X-Version}\n",
			want: Shift{Steps: []int{100}, StepWatch: ptr(time.Duration(0)), Split: Split{Endpoint: Endpoint{URL: "http://127.0.0.1:1/"}, Header: "X-Version"}}},
		{name: "steps go up", in: base + "    steps: [50, 10, 100]\n    split: {url: 'http://x/', header: X-V}\n", wantErr: "promote.weighted.steps[1] 10: steps must go up (the previous is 50)"},
		{name: "steps end at 100", in: base + "    steps: [10, 50]\n    split: {url: 'http://x/', header: X-V}\n", wantErr: "promote.weighted.steps [10 50]: the last step must be 100"},
		{name: "steps are percentages", in: base + "    steps: [0, 100]\n    split: {url: 'http://x/', header: X-V}\n", wantErr: "promote.weighted.steps[0] 0: want a percentage of traffic from 1 to 100"},
		{name: "step-watch at least the interval", in: base + "    step-watch: 500ms\n    split: {url: 'http://x/', header: X-V}\n", wantErr: "promote.weighted.step-watch 500ms: want 0 (no watch between steps) or at least promote.interval (1s)"},
		{name: "a split url", in: base + "    split: {header: X-V}\n", wantErr: "promote.weighted.split.url is empty: set the route's public address"},
		{name: "an http split url", in: base + "    split: {url: 'ftp://x/', header: X-V}\n", wantErr: `promote.weighted.split.url "ftp://x/": want an absolute http or https URL`},
		{name: "how an answer names its revision", in: base + "    split: {url: 'http://x/'}\n", wantErr: "promote.weighted.split: say how an answer names its revision"},
		{name: "header or json", in: base + "    split: {url: 'http://x/', header: X-V, json: version}\n", wantErr: "promote.weighted.split: set header or json, not both"},
		{name: "requests", in: base + "    split: {url: 'http://x/', header: X-V, requests: 5}\n", wantErr: "promote.weighted.split.requests 5: use 20 to 10000"},
		{name: "tolerance", in: base + "    split: {url: 'http://x/', header: X-V, tolerance: 60%}\n", wantErr: "promote.weighted.split.tolerance 60%: want 0% to 50%"},
		{name: "route name", in: base + "    route: Web_Route\n    split: {url: 'http://x/', header: X-V}\n", wantErr: `promote.weighted.route "Web_Route"`},
		{name: "by replicas through a Service", in: base + "    by: replicas\n    steps: [25, 100]\n    split: {service: web, port: http, path: /version, header: X-Version}\n",
			want: Shift{By: ByReplicas, Steps: []int{25, 100}, Split: Split{Endpoint: Endpoint{Service: "web", Port: "http", Path: "/version"}, Header: "X-Version"}}},
		{name: "by names route or replicas", in: base + "    by: pods\n    split: {url: 'http://x/', header: X-V}\n", wantErr: `promote.weighted.by "pods": use route`},
		{name: "replicas move no route", in: base + "    by: replicas\n    route: web\n    split: {url: 'http://x/', header: X-V}\n", wantErr: `promote.weighted.route "web" is set but promote.weighted.by is replicas`},
		{name: "replicas need a split endpoint", in: base + "    by: replicas\n    split: {header: X-V}\n", wantErr: "promote.weighted.split: set url (the address in front of the production Service) or service"},
		{name: "a route is measured through the gateway", in: base + "    by: route\n    split: {service: web, header: X-V}\n", wantErr: `promote.weighted.split.service "web": a Service measured directly bypasses the gateway`},
		{name: "a split Service name", in: base + "    by: replicas\n    split: {service: Web_1, header: X-V}\n", wantErr: `promote.weighted.split.service "Web_1": want a Service name`},
		{name: "url or service", in: base + "    split: {url: 'http://x/', service: web, header: X-V}\n", wantErr: "promote.weighted.split: set url or service, not both"},
		{name: "weighted without the strategy", in: "promote:\n  weighted:\n    steps: [100]\n", wantErr: "promote.weighted is set but promote.strategy is blue-green"},
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
			if diff := cmp.Diff(tc.want, c.Promote.Weighted); diff != "" {
				t.Errorf("promote.weighted (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
