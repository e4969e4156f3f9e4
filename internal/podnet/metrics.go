package podnet

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsPath is where a Server exports its Prometheus metrics; requests
// to it are not app traffic (no injected failure or latency, not counted).
const MetricsPath = "/metrics"

// servingHold is how long after an answered request a pod counts as
// serving traffic (and takes orders).
const servingHold = time.Second

// Resources are a container's requests and limits from the pod spec, in
// cores and bytes; zero when not set.
type Resources struct {
	CPURequest, CPULimit       float64
	MemoryRequest, MemoryLimit float64
}

// metrics is what a Server exports on /metrics, named like a cluster's
// series so the queries written against it are the ones written against
// production:
//
//   - the app's own: http_requests_total{namespace,pod,code,method} and
//     the histogram http_request_duration_seconds{namespace,pod};
//   - a business counter, orders_total{namespace,pod}, growing by
//     Behavior.OrdersRate a second while the pod serves traffic;
//   - for the container of the Server's (first) port, cAdvisor's
//     container_cpu_usage_seconds_total{namespace,pod,container} growing
//     by Behavior.CPU a second, and kube-state-metrics'
//     kube_pod_container_resource_limits and _requests
//     {namespace,pod,container,resource,unit} from the pod spec.
//
// The series carry namespace and pod themselves: scrape them with
// honor_labels: true.
type metrics struct {
	handler  http.Handler
	requests *prometheus.CounterVec
	duration prometheus.Histogram

	ns, pod, container string
	res                Resources

	mu     sync.Mutex
	cpu    float64 // cores now
	orders float64 // orders a second now
	// cpuAcc is the CPU seconds used up to cpuAt.
	cpuAcc float64
	cpuAt  time.Time
	// ordersAcc is the orders taken up to ordersAt; lastServed is the last
	// answered request.
	ordersAcc  float64
	ordersAt   time.Time
	lastServed time.Time
}

var (
	cpuDesc = prometheus.NewDesc("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.",
		[]string{"namespace", "pod", "container"}, nil)
	ordersDesc = prometheus.NewDesc("orders_total", "Orders taken.", []string{"namespace", "pod"}, nil)
	limitsDesc = prometheus.NewDesc("kube_pod_container_resource_limits", "The number of requested limit resource by a container.",
		[]string{"namespace", "pod", "container", "resource", "unit"}, nil)
	requestsDesc = prometheus.NewDesc("kube_pod_container_resource_requests", "The number of requested request resource by a container.",
		[]string{"namespace", "pod", "container", "resource", "unit"}, nil)
)

// newMetrics returns the metrics of a Server, started now with b.
func newMetrics(cfg ServerConfig, now time.Time) *metrics {
	m := &metrics{ns: cfg.Namespace, pod: cfg.Pod, container: cfg.Container, res: cfg.Resources,
		cpu: cfg.Behavior.CPU, orders: cfg.Behavior.OrdersRate, cpuAt: now, ordersAt: now}
	labels := prometheus.Labels{"namespace": cfg.Namespace, "pod": cfg.Pod}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "HTTP requests answered, by status code and method.", ConstLabels: labels},
		[]string{"code", "method"})
	m.duration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "Time to answer an HTTP request.",
		ConstLabels: labels, Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m.requests, m.duration, m)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

// served records an answered app request.
func (m *metrics) served(method string, code int, took time.Duration, now time.Time) {
	m.requests.WithLabelValues(codeText(code), methodText(method)).Inc()
	m.duration.Observe(took.Seconds())
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ordersAcc = m.ordersValue(now)
	m.ordersAt, m.lastServed = now, now
}

// setBehavior commits what was used and taken up to now at the old
// rates, then takes b's.
func (m *metrics) setBehavior(b Behavior, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cpuAcc, m.cpuAt = m.cpuValue(now), now
	m.ordersAcc, m.ordersAt = m.ordersValue(now), now
	m.cpu, m.orders = b.CPU, b.OrdersRate
}

// cpuValue is the CPU seconds used up to now; call with mu held.
func (m *metrics) cpuValue(now time.Time) float64 {
	return m.cpuAcc + m.cpu*max(0, now.Sub(m.cpuAt).Seconds())
}

// ordersValue is the orders taken up to now: at the rate, over the part
// of [ordersAt, now] within servingHold of the last answered request;
// call with mu held.
func (m *metrics) ordersValue(now time.Time) float64 {
	if m.lastServed.IsZero() {
		return m.ordersAcc
	}
	from := m.ordersAt
	if m.lastServed.After(from) {
		from = m.lastServed
	}
	to := m.lastServed.Add(servingHold)
	if now.Before(to) {
		to = now
	}
	if !to.After(from) {
		return m.ordersAcc
	}
	return m.ordersAcc + m.orders*to.Sub(from).Seconds()
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(m, ch) }

// Collect implements prometheus.Collector: the counters at this instant
// and the pod spec's resources.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	m.mu.Lock()
	cpu, orders := m.cpuValue(now), m.ordersValue(now)
	m.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(ordersDesc, prometheus.CounterValue, orders, m.ns, m.pod)
	if m.container == "" {
		return
	}
	ch <- prometheus.MustNewConstMetric(cpuDesc, prometheus.CounterValue, cpu, m.ns, m.pod, m.container)
	for _, r := range []struct {
		desc        *prometheus.Desc
		cpu, memory float64
	}{{limitsDesc, m.res.CPULimit, m.res.MemoryLimit}, {requestsDesc, m.res.CPURequest, m.res.MemoryRequest}} {
		if r.cpu > 0 {
			ch <- prometheus.MustNewConstMetric(r.desc, prometheus.GaugeValue, r.cpu, m.ns, m.pod, m.container, "cpu", "core")
		}
		if r.memory > 0 {
			ch <- prometheus.MustNewConstMetric(r.desc, prometheus.GaugeValue, r.memory, m.ns, m.pod, m.container, "memory", "byte")
		}
	}
}

func codeText(code int) string { return strconv.Itoa(code) }

func methodText(m string) string {
	switch m {
	case http.MethodGet:
		return "get"
	case http.MethodHead:
		return "head"
	case http.MethodPost:
		return "post"
	}
	return "other"
}
