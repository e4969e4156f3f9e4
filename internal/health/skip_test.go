package health

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// TestNothingConfigured checks an empty tier says what to add instead of
// passing.
func TestNothingConfigured(t *testing.T) {
	t.Parallel()
	r, err := httpcheck.NewResolver(nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := Service(t.Context(), r, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	biz, err := Business(t.Context(), r, config.Business{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	noQueries, err := Business(t.Context(), r, config.Business{Prometheus: config.Prometheus{Endpoint: config.Endpoint{URL: "http://127.0.0.1:9"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range append(append(svc, biz...), noQueries...) {
		got = append(got, c.Name+": "+c.Skipped)
	}
	want := []string{
		"service: no service checks configured: add sandbox.service to the shipgate config",
		"business: no business checks configured: add sandbox.business.json or sandbox.business.prometheus to the shipgate config",
		"business/prometheus: sandbox.business.prometheus is set but has no queries: add sandbox.business.prometheus.queries",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("skipped checks (-want +got):\n%s", diff)
	}
}

// TestNoCluster checks a Service endpoint without a cluster stops a tier
// with an error instead of becoming a finding.
func TestNoCluster(t *testing.T) {
	t.Parallel()
	r, err := httpcheck.NewResolver(nil, nil, "shop")
	if err != nil {
		t.Fatal(err)
	}
	ep := config.Endpoint{Service: "web"}
	if _, err := Service(t.Context(), r, []config.ServiceCheck{{Endpoint: ep}}, nil); err == nil {
		t.Error("Service() with a Service endpoint and no cluster: no error")
	}
	if _, err := Business(t.Context(), r, config.Business{JSON: []config.HTTPCheck{{Endpoint: ep}}}, nil); err == nil {
		t.Error("Business() with a Service JSON check and no cluster: no error")
	}
	if _, err := Business(t.Context(), r, config.Business{Prometheus: config.Prometheus{Endpoint: ep, Queries: []config.PromQuery{{Name: "q", Query: "up"}}}}, nil); err == nil {
		t.Error("Business() with a Prometheus Service and no cluster: no error")
	}
}

func TestLocateIn(t *testing.T) {
	t.Parallel()
	obj := func(kind, ns, name, path string) kube.Object {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind(kind)
		u.SetNamespace(ns)
		u.SetName(name)
		return kube.Object{Obj: u, Source: kube.Source{Path: path, Line: 3}}
	}
	loc := LocateIn([]kube.Object{
		obj("Service", "", "web", "deploy/web.yaml"),
		obj("Service", "ops", "prom", "deploy/prom.yaml"),
		obj("Deployment", "", "api", "deploy/api.yaml"),
	}, "shop")
	f := failure("service/x", "Service/shop/web", "t", "m", loc)
	g := failure("service/x", "Service/ops/prom", "t", "m", loc)
	h := failure("service/x", "Service/shop/api", "t", "m", loc)
	got := []string{f.Location(), g.Location(), h.Location(), failure("c", "Service/shop/web", "t", "m", nil).Location()}
	if diff := cmp.Diff([]string{"deploy/web.yaml:3", "deploy/prom.yaml:3", "", ""}, got); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}
	if f.Level != result.Failure || f.Object != "Service/shop/web" || f.Check != "service/x" {
		t.Errorf("finding = %+v", f)
	}
}
