package monitor

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/config"
)

// flakyServer answers "ok v1" except between failFrom and failTo, when it
// answers as fail does. The switch instants are fixed before any sample.
func flakyServer(t *testing.T, failFrom, failTo time.Time, fail http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var failed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if now := time.Now(); !now.Before(failFrom) && now.Before(failTo) {
			failed.Add(1)
			fail(w, r)
			return
		}
		fmt.Fprintln(w, "ok v1")
	}))
	t.Cleanup(srv.Close)
	return srv, &failed
}

func TestDisruptionMeasuresOutage(t *testing.T) {
	t.Parallel()
	const (
		rate   = 10.0
		outage = 1500 * time.Millisecond
		// One sample interval, the quantum of the measurement, plus ticker
		// and scheduler jitter on a loaded machine.
		margin = time.Duration(float64(time.Second)/rate) + 20*time.Millisecond
	)
	tests := []struct {
		name    string
		fail    http.HandlerFunc
		wantErr string // in the outage's message
		// timeout bounds a sample: short where the outage is the lack of an
		// answer, long enough elsewhere that a loaded machine's slow answer
		// is not taken for a second outage.
		timeout time.Duration
	}{
		{"status 503", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "draining", http.StatusServiceUnavailable) },
			`first error: status 503, want 200: "draining"`, 2 * time.Second},
		{"wrong body", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok v0") },
			`first error: body lacks "v1": "ok v0"`, 2 * time.Second},
		{"no answer", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			"first error: no answer within 300ms", 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			failFrom := time.Now().Add(time.Second)
			failTo := failFrom.Add(outage)
			srv, failed := flakyServer(t, failFrom, failTo, tt.fail)
			var samplers []Sampler
			for _, conn := range Connections {
				d, err := NewDisruption(Target{Name: "shop", URL: srv.URL + "/healthz", Transport: URLTransport, BodyContains: "v1"}, conn, rate, tt.timeout)
				if err != nil {
					t.Fatal(err)
				}
				samplers = append(samplers, d)
			}
			m := New(Options{}, samplers...)
			if err := m.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Until(failTo.Add(time.Second)))
			intervals, err := m.Stop()
			if err != nil {
				t.Fatal(err)
			}
			if failed.Load() == 0 {
				t.Fatal("the server never failed a request")
			}
			for i, conn := range Connections {
				loc := "endpoint/shop backend/" + string(conn)
				var outages []Interval
				var windows int
				for _, iv := range intervals {
					switch {
					case iv.Locator != loc || iv.Source != SourceDisruption:
					case iv.Level == Error:
						outages = append(outages, iv)
					case iv.Level == Info:
						windows++
					}
				}
				if len(outages) != 1 || windows != 1 {
					t.Fatalf("%s: %d outages and %d windows, want 1 of each: %v", conn, len(outages), windows, intervals)
				}
				o := outages[0]
				if d := o.Duration() - outage; d < -margin || d > margin {
					t.Errorf("%s: measured outage %v, want %v ± %v", conn, o.Duration(), outage, margin)
				}
				if d := o.From.Sub(failFrom); d < -margin || d > margin {
					t.Errorf("%s: outage began %v after the server's switch, want within ± %v", conn, d, margin)
				}
				if !strings.Contains(o.Message, tt.wantErr) {
					t.Errorf("%s: outage message %q lacks %q", conn, o.Message, tt.wantErr)
				}
				sum := samplers[i].(*Disruption).Summary()
				if want := int(sum.Window.Seconds() * rate); sum.Samples < want-2 || sum.Samples > want+2 {
					t.Errorf("%s: %d samples over %v at %v/s, want %d ± 2", conn, sum.Samples, sum.Window, rate, want)
				}
				if sum.Disruption != o.Duration() || sum.Outages != 1 {
					t.Errorf("%s: summary %+v disagrees with the outage %v", conn, sum, o.Duration())
				}
			}
			// The same intervals judged against two budgets.
			cfg := config.Disruption{Endpoints: []config.DisruptionEndpoint{{Name: "shop"}}}
			for _, c := range Evaluate(intervals, cfg)[:2] {
				if !c.Failed() {
					t.Errorf("check %q passed with max-disruption 0: %+v", c.Name, c)
				}
			}
			cfg.MaxDisruption = 3 * time.Second
			for _, c := range Evaluate(intervals, cfg)[:2] {
				if c.Failed() || len(c.Findings) != 1 {
					t.Errorf("check %q with max-disruption 3s: want a warning, got %+v", c.Name, c)
				}
			}
		})
	}
}

// TestOutages covers the boundaries of Outages.
func TestOutages(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ok := func(ms int) Sample { return Sample{Sent: at(ms), Status: 200} }
	bad := func(ms int, why string) Sample { return Sample{Sent: at(ms), Err: why} }
	tests := []struct {
		name    string
		samples []Sample
		want    []Outage
	}{
		{"none", []Sample{ok(0), ok(100)}, nil},
		{"closed by a success", []Sample{ok(0), bad(100, "a"), bad(200, "b"), ok(300)},
			[]Outage{{From: at(100), To: at(300), Failed: 2, FirstError: "a"}}},
		{"out of order", []Sample{ok(300), bad(200, "b"), bad(100, "a"), ok(0)},
			[]Outage{{From: at(100), To: at(300), Failed: 2, FirstError: "a"}}},
		{"open at stop", []Sample{ok(0), bad(900, "a")},
			[]Outage{{From: at(900), To: at(1000), Failed: 1, FirstError: "a"}}},
		{"two", []Sample{bad(0, "a"), ok(100), bad(200, "b"), ok(300)},
			[]Outage{{From: at(0), To: at(100), Failed: 1, FirstError: "a"}, {From: at(200), To: at(300), Failed: 1, FirstError: "b"}}},
		{"after stop ignored", []Sample{ok(0), bad(1100, "late")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Outages(tt.samples, at(1000))); diff != "" {
				t.Errorf("Outages() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewDisruptionRejects(t *testing.T) {
	t.Parallel()
	good := Target{Name: "x", URL: "http://127.0.0.1:1/", Transport: URLTransport}
	tests := []struct {
		name    string
		target  Target
		conn    Connection
		rate    float64
		timeout time.Duration
		want    string
	}{
		{"no URL", Target{Name: "x", Transport: URLTransport}, NewConnections, 10, time.Second, "needs a URL and a Transport"},
		{"bad connection", good, "pooled", 10, time.Second, `connection "pooled": use new-connections or reused-connections`},
		{"zero rate", good, NewConnections, 0, time.Second, "rate 0: use samples per second"},
		{"zero timeout", good, NewConnections, 10, 0, "timeout 0s: use a duration above 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewDisruption(tt.target, tt.conn, tt.rate, tt.timeout)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewDisruption() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestDisruptionSamplersConfig(t *testing.T) {
	t.Parallel()
	cfg := config.Disruption{Endpoints: []config.DisruptionEndpoint{
		{Endpoint: config.Endpoint{URL: "http://127.0.0.1:1/healthz"}},
		{Name: "web", Endpoint: config.Endpoint{Service: "web"}},
	}}
	_, err := DisruptionSamplers(t.Context(), cfg, Cluster{})
	want := "smoke.disruption.endpoints[1]: service web: sampling a Service needs a cluster"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("DisruptionSamplers() error = %v, want one containing %q", err, want)
	}
	cfg.Endpoints = cfg.Endpoints[:1]
	got, err := DisruptionSamplers(t.Context(), cfg, Cluster{})
	if err != nil {
		t.Fatal(err)
	}
	var locs []string
	for _, d := range got {
		locs = append(locs, d.Locator())
	}
	wantLocs := []string{"endpoint/http://127.0.0.1:1/healthz backend/new-connections", "endpoint/http://127.0.0.1:1/healthz backend/reused-connections"}
	if diff := cmp.Diff(wantLocs, locs); diff != "" {
		t.Errorf("locators (-want +got):\n%s", diff)
	}
}
