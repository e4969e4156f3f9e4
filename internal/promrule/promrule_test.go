package promrule

import (
	"context"
	"errors"
	"math"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"

	"github.com/shipgate/shipgate/internal/promtest"
	"github.com/shipgate/shipgate/internal/rules"
)

func TestFires(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	five := 5 * time.Second
	tests := []struct {
		name string
		rule rules.Rule
		s    rules.Streak
		now  time.Time
		want bool
	}{
		{"sustained, not yet", &Sustained{For: five}, rules.Streak{Count: 4, Since: t0}, t0.Add(4 * time.Second), false},
		{"sustained for its duration", &Sustained{For: five}, rules.Streak{Count: 6, Since: t0}, t0.Add(five), true},
		{"no streak", &Sustained{For: 0}, rules.Streak{}, t0, false},
		{"drop at once", &Drop{}, rules.Streak{Count: 1, Since: t0}, t0, true},
		{"cpu not yet", &CPU{For: five}, rules.Streak{Count: 9, Since: t0}, t0.Add(4900 * time.Millisecond), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.rule.Fires(tc.s, tc.now); got != tc.want {
				t.Errorf("Fires = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMedianAndQuery(t *testing.T) {
	t.Parallel()
	if got := median([]float64{3, 1, 2, 10}); got != 2.5 {
		t.Errorf("median = %v, want 2.5", got)
	}
	c := &CPU{Namespace: "shop", Container: "web", Rate: time.Minute}
	want := `sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{namespace="shop", pod=~"web-r2-a|web\\.b", container="web"}[1m])) / on (namespace, pod, container) sum by (namespace, pod, container) (kube_pod_container_resource_limits{namespace="shop", pod=~"web-r2-a|web\\.b", container="web", resource="cpu", unit="core"})`
	if got := c.Query([]string{"web-r2-a", "web.b"}); got != want {
		t.Errorf("Query =\n%s\nwant\n%s", got, want)
	}
}

// exporter serves a gauge the test sets and a CPU counter growing at the
// cores the test sets, with a 0.5-core limit, on loopback.
type exporter struct {
	gauge atomic.Value // float64
	cores atomic.Value // float64
	used  float64
	at    time.Time
}

func startExporter(t *testing.T) (*exporter, string) {
	e := &exporter{at: time.Now()}
	e.gauge.Store(10.0)
	e.cores.Store(0.1)
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "test_value", Help: "A value the test sets."}, func() float64 { return e.gauge.Load().(float64) }))
	labels := prometheus.Labels{"namespace": "shop", "pod": "web-1", "container": "web"}
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "container_cpu_usage_seconds_total", Help: "CPU.", ConstLabels: labels}, func() float64 {
		now := time.Now()
		e.used += e.cores.Load().(float64) * now.Sub(e.at).Seconds() // promhttp serialises collection per scrape
		e.at = now
		return e.used
	}))
	limit := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kube_pod_container_resource_limits", Help: "Limits."}, []string{"namespace", "pod", "container", "resource", "unit"})
	limit.WithLabelValues("shop", "web-1", "web", "cpu", "core").Set(0.5)
	reg.MustRegister(limit)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return e, strings.TrimPrefix(srv.URL, "http://")
}

// TestOnPrometheus judges the rules on a real Prometheus scraping the
// test's exporter every second.
func TestOnPrometheus(t *testing.T) {
	e, target := startExporter(t)
	prom := promtest.StartT(t, promtest.StaticScrape("test", target))
	src := &Source{API: prom.API, Where: prom.URL, Timeout: 5 * time.Second}
	ctx := t.Context()
	is := func(v float64) func(model.Vector) bool {
		return func(vec model.Vector) bool { return len(vec) == 1 && float64(vec[0].Value) == v }
	}
	prom.WaitFor(t, "three scrapes of 10", "count_over_time(test_value[10s]) >= 3", 30*time.Second, func(v model.Vector) bool { return len(v) == 1 })

	t.Run("refused query", func(t *testing.T) {
		err := src.Check(ctx, "sum(rate(test_value[1m]", time.Now())
		if r, ok := errors.AsType[*Refused](err); !ok || !strings.Contains(r.Message, "parse error") {
			t.Errorf("Check = %v, want Prometheus' parse error", err)
		}
		if err := src.Check(ctx, "absent_metric", time.Now()); err != nil {
			t.Errorf("Check of a query without series = %v, want nil (no data is the policy's)", err)
		}
	})
	t.Run("no data", func(t *testing.T) {
		for q, want := range map[string]string{"absent_metric": "returned no series", "0/0": "only NaN", "test_value[1m]": "returned a matrix"} {
			m := (&Sustained{Query: q, Above: ptr(1.0), Source: src}).Measure(ctx, time.Now())
			if m.HasData || !strings.Contains(m.Evidence, want) {
				t.Errorf("%s: %+v, want no data saying %q", q, m, want)
			}
		}
	})
	above := &Sustained{RuleName: "v", Query: "test_value", Above: ptr(5.0), For: 5 * time.Second, Source: src}
	if m := above.Measure(ctx, time.Now()); !m.HasData || !m.Failing || m.Value != 10 {
		t.Errorf("10 > 5 is failing: %+v", m)
	}
	drop := &Drop{RuleName: "d", Query: "sum(test_value)", By: 0.3, Window: 2 * time.Second, Source: src}
	if m := drop.Measure(ctx, time.Now()); m.HasData || !strings.Contains(m.Evidence, "no baseline") {
		t.Errorf("a drop without a baseline: %+v", m)
	}
	b, err := drop.MeasureBaseline(ctx, time.Now())
	if err != nil || b.Value != 10 {
		t.Fatalf("baseline = %v, %v; want 10", b, err)
	}
	for _, tc := range []struct {
		value   float64
		failing bool
	}{{8, false}, {6, true}} {
		e.gauge.Store(tc.value)
		prom.WaitFor(t, "the new value", "test_value", 30*time.Second, is(tc.value))
		m := drop.Measure(ctx, time.Now())
		if !m.HasData || m.Failing != tc.failing || m.Value != tc.value {
			t.Errorf("drop at %v: %+v, want failing %v", tc.value, m, tc.failing)
		}
		if m := above.Measure(ctx, time.Now()); m.Failing != (tc.value > 5) {
			t.Errorf("sustained above 5 at %v: %+v", tc.value, m)
		}
	}
	if !strings.Contains(drop.Threshold(), "30% below the baseline 10 (median of") {
		t.Errorf("drop threshold %q", drop.Threshold())
	}

	var pods []string
	cpu := &CPU{Namespace: "shop", Container: "web", Above: 0.9, For: 5 * time.Second, Rate: 3 * time.Second, Source: src,
		Pods: func(context.Context) ([]string, error) { return pods, nil }}
	if m := cpu.Measure(ctx, time.Now()); m.HasData || !strings.Contains(m.Evidence, "no pods") {
		t.Errorf("cpu without pods: %+v", m)
	}
	pods = []string{"web-1", "web-2"}
	prom.WaitFor(t, "CPU well under its limit", "rate(container_cpu_usage_seconds_total[3s])", 30*time.Second, func(v model.Vector) bool { return len(v) == 1 && v[0].Value < 0.15 })
	if m := cpu.Measure(ctx, time.Now()); !m.HasData || m.Failing || math.Abs(m.Value-0.2) > 0.05 {
		t.Errorf("cpu at 0.1 of a 0.5 limit: %+v", m)
	}
	e.cores.Store(0.5)
	prom.WaitFor(t, "CPU at its limit", "rate(container_cpu_usage_seconds_total[3s])", 30*time.Second, func(v model.Vector) bool { return len(v) == 1 && v[0].Value > 0.46 })
	if m := cpu.Measure(ctx, time.Now()); !m.HasData || !m.Failing || !strings.Contains(m.Evidence, "web-1/web at") {
		t.Errorf("cpu at its limit: %+v", m)
	}

	// Prometheus gone: no data, saying where.
	if err := prom.Stop(); err != nil {
		t.Fatal(err)
	}
	if m := above.Measure(ctx, time.Now()); m.HasData || !strings.Contains(m.Evidence, "prometheus at "+prom.URL) {
		t.Errorf("with Prometheus stopped: %+v", m)
	}
}

func ptr[T any](v T) *T { return &v }
