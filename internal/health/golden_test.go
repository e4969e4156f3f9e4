package health

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func golden(t *testing.T, name string, checks []result.Check) {
	t.Helper()
	got, err := json.MarshalIndent(checks, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

// at places every Service of namespace shop at deploy/web.yaml:12.
func at(namespace, name string) kube.Source {
	if namespace != "shop" {
		return kube.Source{}
	}
	return kube.Source{Path: "deploy/" + name + ".yaml", Line: 12}
}

var body500 = []byte(`{"version":"v1","pod":"web-7d9f-abcde","path":"/","error":"injected failure (FAIL_RATE=1)"}` + "\n")

// TestServiceGolden fixes the service tier's checks for fixed samples: a
// pass, a slow and failing endpoint, and one that cannot be reached.
func TestServiceGolden(t *testing.T) {
	t.Parallel()
	web := config.ServiceCheck{Name: "web", Endpoint: config.Endpoint{Service: "web"}}
	failed := "status 500 Internal Server Error, want 200\n" + httpcheck.Observation{
		Method: "GET", Target: "service/shop/web:http/", Status: 500, Latency: 3 * time.Millisecond, Body: body500,
	}.Evidence()
	checks := []result.Check{
		judgeService(web, httpcheck.Stats{Target: "service/shop/web:http/", Object: "Service/shop/web", Requests: 20, Responses: 20,
			P50: 2 * time.Millisecond, P95: 4 * time.Millisecond, P99: 5 * time.Millisecond, Max: 5 * time.Millisecond}, at),
		judgeService(config.ServiceCheck{Endpoint: config.Endpoint{Service: "web", Port: "http"}, Requests: 5, P95: 300 * time.Millisecond},
			httpcheck.Stats{Target: "service/shop/web:http/", Object: "Service/shop/web", Requests: 5, Responses: 5, Errors: 5,
				P50: 702 * time.Millisecond, P95: 731 * time.Millisecond, P99: 731 * time.Millisecond, Max: 731 * time.Millisecond,
				Failures: []string{failed}}, at),
		judgeService(config.ServiceCheck{Name: "api", Endpoint: config.Endpoint{URL: "http://127.0.0.1:9/"}},
			httpcheck.Stats{Target: "http://127.0.0.1:9/", Requests: 20, Errors: 20,
				Failures: []string{"no response: dial tcp 127.0.0.1:9: connect: connection refused\nGET http://127.0.0.1:9/: no response after 1ms: dial tcp 127.0.0.1:9: connect: connection refused"}}, at),
		judgeService(config.ServiceCheck{Endpoint: config.Endpoint{Service: "shop/cart"}},
			httpcheck.Stats{Target: "service/shop/cart/", Object: "Service/shop/cart", Err: errors.New(`resolve service/shop/cart/: service shop/cart: services "cart" not found`)}, at),
	}
	golden(t, "service.json", checks)
}

// TestBusinessGolden fixes the business tier's checks for fixed outcomes
// and query answers.
func TestBusinessGolden(t *testing.T) {
	t.Parallel()
	v2 := "v2"
	version := config.HTTPCheck{Name: "version", Endpoint: config.Endpoint{Service: "web", Path: "/version"},
		Expect: config.Expect{JSON: []config.JSONCondition{{Path: ".version", Equals: &v2}}}, Deadline: 5 * time.Second}
	last := httpcheck.Observation{Method: "GET", Target: "service/shop/web:http/version", Object: "Service/shop/web",
		Status: 200, Latency: 2 * time.Millisecond, Body: []byte(`{"version":"v1","pod":"web-1","path":"/version"}` + "\n")}
	f := func(v float64) *float64 { return &v }
	sample := func(job string, v float64) *model.Sample {
		return &model.Sample{Metric: model.Metric{"job": model.LabelValue(job)}, Value: model.SampleValue(v)}
	}
	checks := []result.Check{
		judgeHTTP("business/json/", version, httpcheck.Outcome{Last: last, Problems: []string{`json .version = "v1", want "v2"`}, Attempts: 6, Elapsed: 5100 * time.Millisecond}, at),
		judgeHTTP("business/json/", config.HTTPCheck{Endpoint: config.Endpoint{URL: "http://127.0.0.1:8080/healthz"}, Expect: config.Expect{Status: 204, BodyContains: "ok", MaxLatency: time.Second}},
			httpcheck.Outcome{Last: httpcheck.Observation{Method: "GET", Target: "http://127.0.0.1:8080/healthz", Status: 204, Latency: time.Millisecond}, Attempts: 2, Elapsed: 260 * time.Millisecond}, at),
		judgeQuery(config.PromQuery{Name: "errors", Query: `sum by (job) (rate(http_errors_total[5m]))`, Max: f(0.05)}, "http://127.0.0.1:9090",
			model.Vector{sample("web", 0.01), sample("api", 0.2), sample("cart", 0.07)}, nil, nil),
		judgeQuery(config.PromQuery{Name: "orders", Query: `sum(rate(orders_total[5m]))`, Min: f(1)}, "service/monitoring/prometheus:web/",
			model.Vector{}, promv1.Warnings{"query hit the sample limit"}, nil),
		judgeQuery(config.PromQuery{Name: "bad", Query: `rate(`, Min: f(0), Max: f(1)}, "http://127.0.0.1:9090",
			nil, nil, &promv1.Error{Type: promv1.ErrBadData, Msg: `invalid parameter "query": 1:6: parse error: unexpected end of input`}),
	}
	golden(t, "business.json", checks)
}
