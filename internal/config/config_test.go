package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Config
		wantErr string
	}{
		{name: "empty file is the default", in: "", want: Config{}},
		{name: "comments only", in: "# nothing\n", want: Config{}},
		{
			name: "merge-check fields",
			in:   "merge-check:\n  version-files: [cluster/VERSION]\n  ignore: ['deploy/legacy/**']\n  mergeable-attempts: 3\n",
			want: Config{MergeCheck: MergeCheck{VersionFiles: []string{"cluster/VERSION"}, Ignore: []string{"deploy/legacy/**"}, MergeableAttempts: 3}},
		},
		{
			name:    "unknown field names the section and the known fields",
			in:      "merge-check:\n  versoin-files: [x]\n",
			wantErr: `config shipgate.yml:2: unknown field "versoin-files" in merge-check; known fields: version-files, ignore, mergeable-attempts`,
		},
		{
			name:    "unknown section",
			in:      "sandbx: {}\n",
			wantErr: `config shipgate.yml:1: unknown field "sandbx" in the top level; known fields: merge-check`,
		},
		{
			name:    "out of range",
			in:      "merge-check:\n  mergeable-attempts: 99\n",
			wantErr: "merge-check.mergeable-attempts is 99; use a number from 1 to 20",
		},
		{
			name:    "path outside the repository",
			in:      "merge-check:\n  version-files: [../VERSION]\n",
			wantErr: `merge-check.version-files[0] "../VERSION" must be a path inside the repository`,
		},
		{
			name:    "wrong type",
			in:      "merge-check:\n  mergeable-attempts: many\n",
			wantErr: `config shipgate.yml:2: merge-check.mergeable-attempts is "many"; want a whole number such as 3`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse("shipgate.yml", []byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse() error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	if c, err := Load(".", ""); err != nil || c.MergeCheck.Attempts() != 5 {
		t.Fatalf("Load(\"\") = %+v, %v; want defaults", c, err)
	}
	missing := filepath.Join(t.TempDir(), "nope.yml")
	if _, err := Load("/", missing); err == nil || !strings.Contains(err.Error(), "input config: "+missing+" does not exist") {
		t.Fatalf("Load(missing) error = %v", err)
	}
	p := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(p, []byte("merge-check:\n  mergeable-attempts: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(t.TempDir(), p); err != nil || c.MergeCheck.Attempts() != 2 {
		t.Fatalf("Load() = %+v, %v", c, err)
	}
}

func TestParseSections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, wantErr string
	}{
		{"unknown field in a list item names the places of its type", "smoke:\n  checks:\n    - service: web\n      expct: {}\n", `config s.yml:4: unknown field "expct" in sandbox.business.json or smoke.checks; known fields: name, url, service, port, path, scheme, method, headers, body, expect, timeout, deadline`},
		{"endpoint needs url or service", "sandbox:\n  service:\n    - name: a\n", "sandbox.service[0]: set url (e.g. https://shop.example.com/healthz) or service (e.g. web)"},
		{"url and service", "smoke:\n  checks:\n    - {url: 'http://x/', service: web}\n", "smoke.checks[0]: set url or service, not both"},
		{"bad url", "smoke:\n  checks:\n    - {url: 'ftp://x/'}\n", `smoke.checks[0].url "ftp://x/": want an absolute http or https URL`},
		{"path without slash", "smoke:\n  disruption:\n    endpoints:\n      - {service: web, path: healthz}\n", `smoke.disruption.endpoints[0].path "healthz" must start with /`},
		{"bad port", "sandbox:\n  service:\n    - {service: web, port: '70000'}\n", "sandbox.service[0].port 70000: want a port number from 1 to 65535 or a port name"},
		{"error rate", "sandbox:\n  service:\n    - {service: web, max-error-rate: 2}\n", "sandbox.service[0].max-error-rate 2: want a fraction from 0 to 1"},
		{"duplicate names", "sandbox:\n  service:\n    - {service: web}\n    - {service: web}\n", `sandbox.service[1] has the same name "service/web/" as sandbox.service[0]`},
		{"json condition without test", "sandbox:\n  business:\n    json:\n      - service: web\n        expect: {json: [{path: .status}]}\n", "sandbox.business.json[0].expect.json[0] (path .status): set equals, greater-than or less-than"},
		{"queries without prometheus", "sandbox:\n  business:\n    prometheus:\n      queries: [{name: q, query: up, min: 1}]\n", "sandbox.business.prometheus has queries but no url or service"},
		{"query without bounds", "sandbox:\n  business:\n    prometheus:\n      service: monitoring/prometheus\n      queries: [{name: q, query: up}]\n", "sandbox.business.prometheus.queries[0] (q): set min, max or both"},
		{"bad regex", "smoke:\n  checks:\n    - {service: web, expect: {body-regex: '('}}\n", "smoke.checks[0].expect.body-regex: error parsing regexp"},
		{"bad method", "smoke:\n  checks:\n    - {service: web, method: FETCH}\n", `smoke.checks[0].method "FETCH": use GET, HEAD`},
		{"rate", "smoke:\n  disruption: {rate: 1000}\n", "smoke.disruption.rate 1000: use samples per second from 1 to 100"},
		{"duration", "smoke:\n  disruption: {max-disruption: soon}\n", `config s.yml:2: smoke.disruption.max-disruption is "soon"; want a Go duration such as 500ms, 30s or 2m`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("s.yml", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Parse() error = %v\nwant it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseFullExample(t *testing.T) {
	t.Parallel()
	in := `sandbox:
  max-restarts: 1
  service:
    - name: web
      service: web
      port: http
      path: /healthz
      requests: 50
      p95: 300ms
  business:
    json:
      - name: orders
        service: web
        path: /api/stats
        expect:
          json: [{path: .orders, greater-than: 0}]
    prometheus:
      service: monitoring/prometheus
      port: "9090"
      queries: [{name: error-ratio, query: 'sum(rate(errors[1m]))', max: 0.05}]
smoke:
  checks:
    - name: home
      url: https://shop.example.com/
      expect: {status: 200, body-contains: Welcome, max-latency: 1s}
  disruption:
    max-disruption: 1s
    endpoints: [{service: web, path: /}]
`
	c, err := Parse("s.yml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	sc := c.Sandbox.Service[0]
	if c.Sandbox.Restarts() != 1 || sc.RequestCount() != 50 || sc.P95Limit().String() != "300ms" || sc.ErrorRateLimit() != 0.01 || sc.ExpectedStatus() != 200 {
		t.Errorf("service check defaults: %+v", sc)
	}
	if ns, name := c.Sandbox.Business.Prometheus.ServiceRef(); ns != "monitoring" || name != "prometheus" {
		t.Errorf("ServiceRef() = %q, %q", ns, name)
	}
	if got := c.Sandbox.Business.JSON[0].Expect.JSON[0].JSONPath(); got != "{.orders}" {
		t.Errorf("JSONPath() = %q", got)
	}
	d := c.Smoke.Disruption
	if d.SampleRate() != 10 || d.SampleTimeout().String() != "1s" || d.Endpoints[0].DisplayName() != "service/web/" {
		t.Errorf("disruption defaults: %+v", d)
	}
	if got := c.Smoke.Checks[0].RetryDeadline().String(); got != "1m0s" {
		t.Errorf("RetryDeadline() = %s", got)
	}
}
