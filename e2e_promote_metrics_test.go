package main_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/podnet"
	"github.com/shipgate/shipgate/internal/promtest"
	"github.com/shipgate/shipgate/internal/provingground"
)

// scrapePods points prom at port 8080 of every pod IP kwok can hand out
// on the ground's pod network (the low half of the /24 of the first pod
// served), once a pod serves: a new pod is scraped within a scrape
// interval, without waiting for service discovery (Prometheus passes
// discovered targets on every 5s). The series carry their namespace and
// pod themselves; an address no pod holds fails its scrapes.
func scrapePods(ctx context.Context, t *testing.T, g *provingground.Ground, prom *promtest.Server) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		for addr := range g.Pods.Serving() {
			ap, err := netip.ParseAddrPort(addr)
			if err != nil {
				continue
			}
			b := ap.Addr().As4()
			var targets []promtest.Target
			for host := 1; host < 127; host++ {
				ip := netip.AddrFrom4([4]byte{b[0], b[1], b[2], byte(host)})
				if g.Net.Contains(ip) {
					targets = append(targets, promtest.Target{Addr: netip.AddrPortFrom(ip, 8080).String()})
				}
			}
			if err := prom.SetTargets(targets); err != nil {
				t.Error(err)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// withCPULimit gives the app's container a CPU limit of 500m.
func withCPULimit(s string) string {
	return strings.Replace(s, "          env:\n", "          resources: {limits: {cpu: 500m}}\n          env:\n", 1)
}

// userTraffic sends requests to the production Service through the API
// server's service proxy, about rate a second, until ctx ends: the users
// whose orders the pods take.
func (a *promoteApp) userTraffic(ctx context.Context, rate int) {
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			go a.g.Client.CoreV1().Services(a.ns).ProxyGet("http", "web", "http", "/", nil).DoRaw(ctx)
		}
	}
}

// withBusiness adds a business-tier Prometheus query on prom to the
// checks: it runs against the previews and every interval in the window.
func (a *promoteApp) withBusiness(prom *promtest.Server) {
	q := fmt.Sprintf(`    business:\n      prometheus:\n        url: %s\n        queries: [{name: pods-scraped, query: 'count(http_request_duration_seconds_count{namespace="%s"})', min: 1}]\n`, prom.URL, a.ns)
	a.cfg = strings.Replace(a.cfg, "  checks:\n", "  checks:\n"+strings.ReplaceAll(q, `\n`, "\n"), 1)
}

// hasRow reports whether a line of csv holds every part.
func hasRow(csv string, parts ...string) bool {
	for _, line := range strings.Split(csv, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// rulesCSV reads the rule evaluations of a step.
func rulesCSV(t *testing.T, s step) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.ws, s.outputs["rules-path"]))
	if err != nil {
		t.Fatalf("read the rules CSV at output rules-path %q: %v", s.outputs["rules-path"], err)
	}
	return string(data)
}

// TestPromoteMetricRules promotes on a real control plane whose pods
// export Prometheus metrics, scraped every second by a real Prometheus
// through Kubernetes service discovery: CPU pegged at its limit, orders
// falling after the switch, Prometheus stopped in the window.
func TestPromoteMetricRules(t *testing.T) {
	t.Parallel()
	promtest.Binary(t)
	g, srv, kubeconfig := existingCluster(t)
	prom := promtest.StartT(t, promtest.FileScrape("pods"))
	scrape, stopScrape := context.WithCancel(context.Background())
	t.Cleanup(stopScrape)
	go scrapePods(scrape, t, g, prom)

	cpuRule := fmt.Sprintf("    prometheus: {url: %s}\n    cpu: [{container: web, above: 90%%, for: 8s, rate: 3s}]\n", prom.URL)
	for _, tc := range []struct {
		name, ns string
		// spike is how long the CPU stays pegged after the switch; 0 for good.
		spike time.Duration
		fired bool
	}{
		{name: "CPU pegged at its limit for the rule's duration rolls back", ns: "prom-cpu", fired: true},
		{name: "a CPU spike shorter than the rule's duration does not", ns: "prom-spike", spike: 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// 100 evaluations (10s) without data before a rule fires: the new
			// revision's pods have series a few seconds after they start
			// (Prometheus passes discovered targets on every 5s).
			a := newPromoteApp(t, g, srv, kubeconfig, tc.ns, "30s", 100, "")
			edits := []func(string) string{withCPULimit, podEnv("CPU", "0.1")}
			wantCode(t, a.promote("v1", edits...), 0)
			prom.WaitFor(t, "revision 1 scraped", fmt.Sprintf(`count(container_cpu_usage_seconds_total{namespace=%q})`, tc.ns), 30*time.Second, func(v model.Vector) bool { return len(v) == 1 && v[0].Value == 2 })
			a.withBusiness(prom)
			a.cfg += cpuRule
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go a.whenSwitched(ctx, 2, func() {
				a.turnBad(2, podnet.Behavior{Version: "v2", CPU: 0.5})
				if tc.spike > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(tc.spike):
					}
					a.turnBad(2, podnet.Behavior{Version: "v2", CPU: 0.1})
				}
			})
			s := a.promote("v2", edits...)
			csv := rulesCSV(t, s)
			if !strings.Contains(csv, ",cpu/web,") || !strings.Contains(csv, "of its CPU limit") {
				t.Errorf("the rules CSV has no evaluation of cpu/web:\n%s", csv)
			}
			if !strings.Contains(csv, "2 of 2 checks passed") {
				t.Errorf("the business tier's Prometheus query did not run with the checks in the window:\n%s", csv)
			}
			cases := readJUnit(t, s)
			if tc.fired {
				wantCode(t, s, 1)
				checkCases(t, cases, []string{"rule/cpu/web", "promote/preview", "rollback/traffic"}, map[string]string{"rule/cpu/web": "of its CPU limit"}, true)
				if got := a.selected(); got != 1 {
					t.Errorf("the Service selects revision %d after the rollback, want 1", got)
				}
				return
			}
			wantCode(t, s, 0)
			// The spike was seen (failing evaluations) but did not last.
			if !hasRow(csv, ",cpu/web,", ",failing,") {
				t.Errorf("the spike left no failing evaluation of cpu/web:\n%s", csv)
			}
			checkCases(t, cases, []string{"rule/cpu/web", "promote/watch"}, nil, true)
		})
	}

	for _, tc := range []struct {
		name, ns string
		orders   float64 // per pod after the switch, against 10 before
		fired    bool
	}{
		{name: "orders down 30% after the switch roll back", ns: "prom-orders-30", orders: 7, fired: true},
		{name: "orders down 20% do not", ns: "prom-orders-20", orders: 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			query := fmt.Sprintf(`sum(rate(orders_total{namespace="%s"}[3s]))`, tc.ns)
			drop := fmt.Sprintf("    prometheus: {url: %s}\n    drop: [{name: orders, prometheus: '%s', by: 25%%, baseline: 5s, for: 1s}]\n", prom.URL, query)
			a := newPromoteApp(t, g, srv, kubeconfig, tc.ns, "10s", 5, "", drop)
			edits := []func(string) string{podEnv("ORDERS_RATE", "10")}
			wantCode(t, a.promote("v1", edits...), 0)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go a.userTraffic(ctx, 40)
			// Revision 1 takes 2 × 10 orders a second, for the whole baseline.
			prom.WaitFor(t, "5s of orders at 20/s", fmt.Sprintf("min_over_time(%s[5s:500ms])", query), 60*time.Second,
				func(v model.Vector) bool { return len(v) == 1 && v[0].Value > 19 })
			go a.whenSwitched(ctx, 2, func() { a.turnBad(2, podnet.Behavior{Version: "v2", OrdersRate: tc.orders}) })
			s := a.promote("v2", edits...)
			if !strings.Contains(s.log, "drop/orders: baseline ") || !strings.Contains(s.log, "(median of") {
				t.Errorf("the log does not give the baseline:\n%s", s.log)
			}
			if !strings.Contains(s.summary, "| drop/orders | < 1") || !strings.Contains(s.summary, "25% below the baseline") {
				t.Errorf("the summary does not give the rule's threshold from its baseline:\n%s", s.summary)
			}
			if tc.fired {
				wantCode(t, s, 1)
				checkCases(t, readJUnit(t, s), []string{"rule/drop/orders", "rollback/traffic"}, map[string]string{"rule/drop/orders": "fired"}, true)
				if got := a.revisions(); got[2] != history.RolledBack {
					t.Errorf("history %v, want 2 rolled back", got)
				}
				return
			}
			if s.code != 0 {
				t.Logf("rule evaluations:\n%s", rulesCSV(t, s))
			}
			wantCode(t, s, 0)
			checkCases(t, readJUnit(t, s), []string{"rule/drop/orders", "promote/watch"}, nil, true)
		})
	}

	t.Run("a query Prometheus refuses stops the promotion before the switch", func(t *testing.T) {
		t.Parallel()
		a := newPromoteApp(t, g, srv, kubeconfig, "prom-badquery", "1s", 5, "")
		wantCode(t, a.promote("v1"), 0)
		a.cfg += fmt.Sprintf("    prometheus: {url: %s}\n    sustained: [{name: errors, prometheus: 'sum(rate(http_requests_total[1m]', above: 1, for: 1s}]\n", prom.URL)
		s := a.promote("v2")
		wantCode(t, s, 2)
		if !strings.Contains(s.log, "promote.rollback.sustained[0].prometheus: Prometheus refuses the query") || !strings.Contains(s.log, "parse error") {
			t.Errorf("the log does not give the field and Prometheus' message:\n%s", s.log)
		}
		if got := a.selected(); got != 1 {
			t.Errorf("the Service selects revision %d, want 1", got)
		}
		if got := a.revisions(); len(got) != 1 {
			t.Errorf("history %v, want revision 1 only (nothing recorded)", got)
		}
	})

	for _, tc := range []struct {
		policy string
		fired  bool
	}{{"fail", true}, {"ignore", false}} {
		t.Run("Prometheus stopped in the window, no-data "+tc.policy, func(t *testing.T) {
			t.Parallel()
			ns := "prom-gone-" + tc.policy
			own := promtest.StartT(t, promtest.FileScrape("pods"))
			scrape, stopScrape := context.WithCancel(context.Background())
			defer stopScrape()
			go scrapePods(scrape, t, g, own)
			rule := fmt.Sprintf("    prometheus: {url: %s}\n    sustained: [{name: errors, prometheus: 'sum(rate(http_requests_total{namespace=\"%s\", code=\"500\"}[3s])) or vector(0)', above: 1, for: 5s, no-data: %s}]\n", own.URL, ns, tc.policy)
			a := newPromoteApp(t, g, srv, kubeconfig, ns, "4s", 5, "", rule)
			wantCode(t, a.promote("v1"), 0)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go a.whenSwitched(ctx, 2, func() {
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
					if err := own.Stop(); err != nil {
						t.Error(err)
					}
				}
			})
			s := a.promote("v2")
			csv := rulesCSV(t, s)
			if !hasRow(csv, ",sustained/errors,0,", ",ok,") || !hasRow(csv, ",sustained/errors,", ",no-data,prometheus at "+own.URL) {
				t.Errorf("the rules CSV does not show sustained/errors with data, then without:\n%s", csv)
			}
			if tc.fired {
				wantCode(t, s, 1)
				checkCases(t, readJUnit(t, s), []string{"rule/sustained/errors"}, map[string]string{"rule/sustained/errors": "had no data"}, false)
				return
			}
			wantCode(t, s, 0)
			if !strings.Contains(s.summary, "| sustained/errors |") || !strings.Contains(s.summary, ", ignore) |") {
				t.Errorf("the summary does not say how long sustained/errors had no data:\n%s", s.summary)
			}
		})
	}
}
