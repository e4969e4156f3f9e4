package podnet

import (
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestMetricsAccrual follows the simulated counters on a fixed clock: CPU
// grows at its cores, orders only while the pod served a request in the
// last second, and a behavior change keeps what was counted.
func TestMetricsAccrual(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	m := newMetrics(ServerConfig{Pod: "p", Namespace: "ns", Container: "web", Behavior: Behavior{CPU: 0.5, OrdersRate: 10}}, t0)
	type point struct{ CPU, Orders float64 }
	value := func(now time.Time) point {
		m.mu.Lock()
		defer m.mu.Unlock()
		return point{m.cpuValue(now), m.ordersValue(now)}
	}
	var got []point
	got = append(got, value(at(2)))         // no request yet: no orders
	m.served("GET", 200, 0, at(2))          // serving from 2s
	got = append(got, value(at(2.5)))       // 0.5s of orders
	m.served("GET", 200, 0, at(2.8))        //
	got = append(got, value(at(10)))        // served until 3.8s
	m.setBehavior(Behavior{CPU: 1}, at(10)) // pegged; no orders any more
	m.served("GET", 200, 0, at(11))
	got = append(got, value(at(12)))
	want := []point{{1, 0}, {1.25, 5}, {5, 18}, {7, 18}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
}

// TestServerMetrics scrapes a Server the way Prometheus does: app
// requests are counted by code, /metrics is not, and the container's
// series carry the cluster's labels.
func TestServerMetrics(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "metric", 41)
	ip := podIP(41, 7)
	if err := n.AddAddress(t.Context(), ip); err != nil {
		t.Fatal(err)
	}
	res := resourcesOf(corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("64Mi")}})
	srv, err := n.Serve(t.Context(), ServerConfig{Addr: netip.AddrPortFrom(ip, 8080), Pod: "web-1", Namespace: "shop", Container: "web", Resources: res,
		Behavior: Behavior{Version: "v1", FailRate: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for range 3 {
		mustGet(t, n, "http://198.18.41.7:8080/")
	}
	resp, err := n.Client(10 * time.Second).Get("http://198.18.41.7:8080" + MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var parser expfmt.TextParser
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	got := map[string]string{}
	for name, f := range families {
		for _, m := range f.Metric {
			ls := model.LabelSet{}
			for _, l := range m.Label {
				ls[model.LabelName(l.GetName())] = model.LabelValue(l.GetValue())
			}
			v := ""
			switch {
			case m.Counter != nil:
				v = "counter"
				if name == "http_requests_total" {
					v += " " + model.SampleValue(m.Counter.GetValue()).String()
				}
			case m.Gauge != nil:
				v = model.SampleValue(m.Gauge.GetValue()).String()
			case m.Histogram != nil:
				v = "histogram " + model.SampleValue(float64(m.Histogram.GetSampleCount())).String()
			}
			got[name+ls.String()] = v
		}
	}
	want := map[string]string{
		`http_requests_total{code="500", method="get", namespace="shop", pod="web-1"}`:                                       "counter 3",
		`http_request_duration_seconds{namespace="shop", pod="web-1"}`:                                                       "histogram 3",
		`orders_total{namespace="shop", pod="web-1"}`:                                                                        "counter",
		`container_cpu_usage_seconds_total{container="web", namespace="shop", pod="web-1"}`:                                  "counter",
		`kube_pod_container_resource_limits{container="web", namespace="shop", pod="web-1", resource="cpu", unit="core"}`:    "0.5",
		`kube_pod_container_resource_limits{container="web", namespace="shop", pod="web-1", resource="memory", unit="byte"}`: "67108864",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("/metrics (-want +got):\n%s\n%s", diff, body)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/metrics status %d", resp.StatusCode)
	}
}
