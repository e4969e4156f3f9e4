package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    LoadSpec
		wantErr string
	}{
		{
			name: "every field",
			in: `target: {service: web, port: http, path: /shop}
rate: 50
duration: 20s
max-requests: 800
timeout: 2s
headers: {X-Load: shipgate}
paths:
  - {path: /, weight: 3}
  - {path: '/api/orders?page=2', method: post, headers: {Content-Type: application/json}, body: '{"item": 1}'}
limits: {min-success: 99.5%, p50: 20ms, p95: 100ms, p99: 300ms, rate-within: 5%, min-throughput: 0.9}
`,
			want: LoadSpec{
				Target: Endpoint{Service: "web", Port: "http", Path: "/shop"}, Rate: 50, Duration: 20 * time.Second, MaxRequests: 800, Timeout: 2 * time.Second,
				Headers: map[string]string{"X-Load": "shipgate"},
				Paths:   []LoadPath{{Path: "/", Weight: 3}, {Path: "/api/orders?page=2", Method: "post", Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"item": 1}`}},
				Limits: LoadLimits{MinSuccess: ptr(Percent(0.995)), P50: 20 * time.Millisecond, P95: 100 * time.Millisecond, P99: 300 * time.Millisecond,
					RateWithin: ptr(Percent(0.05)), MinThroughput: ptr(Percent(0.9))},
			},
		},
		{name: "a URL target", in: "target: {url: 'http://127.0.0.1:8080/'}\nrate: 0.5\n", want: LoadSpec{Target: Endpoint{URL: "http://127.0.0.1:8080/"}, Rate: 0.5}},
		{name: "a rate needs a target", in: "rate: 50\n", wantErr: "load.target is not set: name where the load goes"},
		{name: "a target needs a rate", in: "target: {service: web}\n", wantErr: "load.rate is not set: give requests per second"},
		{name: "a rate above the most", in: "target: {service: web}\nrate: 5000\n", wantErr: "load.rate 5000: use requests per second from 0.1 to 1000"},
		{name: "a duration above the most", in: "target: {service: web}\nrate: 1\nduration: 1h\n", wantErr: "load.duration 1h0m0s: use 100ms to 10m0s"},
		{name: "too many requests", in: "target: {service: web}\nrate: 1000\nduration: 10m\n", wantErr: "rate 1000 for 10m0s is 600000 requests, more than the 100000 one load may send"},
		{name: "max-requests bounds them", in: "target: {service: web}\nrate: 1000\nduration: 10m\nmax-requests: 100000\n",
			want: LoadSpec{Target: Endpoint{Service: "web"}, Rate: 1000, Duration: 10 * time.Minute, MaxRequests: 100000}},
		{name: "max-requests above the most", in: "target: {service: web}\nrate: 1\nmax-requests: 200000\n", wantErr: "load.max-requests 200000: use 1 to 100000"},
		{name: "a timeout above the most", in: "target: {service: web}\nrate: 1\ntimeout: 2m\n", wantErr: "load.timeout 2m0s: use a duration above 0 up to 1m0s"},
		{name: "a path that is a URL", in: "target: {service: web}\nrate: 1\npaths: [{path: 'http://elsewhere.example/'}]\n", wantErr: `load.paths[0].path "http://elsewhere.example/": start it with a single /`},
		{name: "a scheme-relative path", in: "target: {service: web}\nrate: 1\npaths: [{path: '//elsewhere.example/'}]\n", wantErr: `load.paths[0].path "//elsewhere.example/": start it with a single /`},
		{name: "a path out of the proxy", in: "target: {service: web}\nrate: 1\npaths: [{path: '/../../secrets'}]\n", wantErr: `load.paths[0].path "/../../secrets": no . or .. segments`},
		{name: "an encoded way out", in: "target: {service: web}\nrate: 1\npaths: [{path: '/%2e%2e/secrets'}]\n", wantErr: `no backslash, fragment or encoded / . or \`},
		{name: "an empty path", in: "target: {service: web}\nrate: 1\npaths: [{weight: 2}]\n", wantErr: "load.paths[0].path is empty"},
		{name: "a Host header", in: "target: {service: web}\nrate: 1\nheaders: {host: elsewhere.example}\n", wantErr: "load.headers: Host is not allowed"},
		{name: "a bad header name", in: "target: {service: web}\nrate: 1\npaths: [{path: /, headers: {'X Bad': y}}]\n", wantErr: `load.paths[0].headers "X Bad": want an HTTP header name`},
		{name: "a method", in: "target: {service: web}\nrate: 1\npaths: [{path: /, method: FETCH}]\n", wantErr: `load.paths[0].method "FETCH": use GET`},
		{name: "a weight", in: "target: {service: web}\nrate: 1\npaths: [{path: /, weight: -1}]\n", wantErr: "load.paths[0].weight -1: use 1 to 1000"},
		{name: "a limit above 100%", in: "target: {service: web}\nrate: 1\nlimits: {min-success: 120%}\n", wantErr: "load.limits.min-success 120%: want 0% to 100%"},
		{name: "a target that is not a URL", in: "target: {url: 'ftp://x/'}\nrate: 1\n", wantErr: `load.target.url "ftp://x/": want an absolute http or https URL`},
		{name: "an unknown field", in: "target: {service: web}\nrate: 1\nrps: 3\n", wantErr: `unknown field "rps" in sandbox.load or smoke.load or promote.load`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, section := range []string{"sandbox", "smoke", "promote"} {
				in := section + ":\n  load:\n" + indent(tc.in, "    ")
				c, err := Parse("shipgate.yml", []byte(in))
				if tc.wantErr != "" {
					want := strings.ReplaceAll(tc.wantErr, "load.", section+".load.")
					if strings.HasPrefix(tc.wantErr, "unknown") || !strings.HasPrefix(tc.wantErr, "load.") {
						want = tc.wantErr
					}
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Fatalf("%s: Parse() error = %v, want it to contain %q", section, err, want)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: Parse() error = %v", section, err)
				}
				got := map[string]LoadSpec{"sandbox": c.Sandbox.Load, "smoke": c.Smoke.Load, "promote": c.Promote.Load}[section]
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%s: Parse() mismatch (-want +got):\n%s", section, diff)
				}
			}
		})
	}
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	var off LoadSpec
	if off.Enabled() {
		t.Error("the zero load is enabled")
	}
	l := LoadSpec{Target: Endpoint{Service: "web"}, Rate: 50}
	if !l.Enabled() || l.For() != 30*time.Second || l.RequestTimeout() != 5*time.Second || l.RequestBound() != 1500 || l.Limits.Success() != 0.99 {
		t.Errorf("defaults: %v %v %v %d %v", l.Enabled(), l.For(), l.RequestTimeout(), l.RequestBound(), l.Limits.Success())
	}
	if diff := cmp.Diff([]LoadPath{{}}, l.PathList()); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if p := (LoadPath{Method: "post"}); p.MethodOrGet() != "POST" || p.WeightOr1() != 1 {
		t.Errorf("path defaults: %s %d", p.MethodOrGet(), p.WeightOr1())
	}
	l.MaxRequests = 10
	if l.RequestBound() != 10 {
		t.Errorf("RequestBound() = %d with max-requests 10", l.RequestBound())
	}
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n") + "\n"
}
