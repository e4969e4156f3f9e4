package httpcheck

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/config"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name          string
		sorted        []time.Duration
		p50, p95, p99 time.Duration
	}{
		{"none", nil, 0, 0, 0},
		{"one", ms(7), 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{"twenty with one slow", ms(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 900),
			1 * time.Millisecond, 3 * time.Millisecond, 900 * time.Millisecond},
		{"one to hundred", ms(hundred...), 50 * time.Millisecond, 95 * time.Millisecond, 99 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := []time.Duration{Percentile(tt.sorted, 0.5), Percentile(tt.sorted, 0.95), Percentile(tt.sorted, 0.99)}
			if diff := cmp.Diff([]time.Duration{tt.p50, tt.p95, tt.p99}, got); diff != "" {
				t.Errorf("p50, p95, p99 (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSample(t *testing.T) {
	t.Parallel()
	// Request 3 is slow, 5 and 7 fail with 500, 9 with 404.
	var n, conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 3:
			time.Sleep(80 * time.Millisecond)
		case 5, 7:
			http.Error(w, "boom", http.StatusInternalServerError)
		case 9:
			http.NotFound(w, r)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	s := fastResolver(t).Sample(t.Context(), config.Endpoint{URL: srv.URL + "/x"}, 10, time.Second, 200)
	if s.Requests != 10 || s.Responses != 10 || s.Errors != 3 || s.ErrorRate() != 0.3 || s.Err != nil {
		t.Errorf("requests %d, responses %d, errors %d, rate %v, err %v; want 10, 10, 3, 0.3, nil", s.Requests, s.Responses, s.Errors, s.ErrorRate(), s.Err)
	}
	if s.Max < 80*time.Millisecond || s.P99 != s.Max || s.P50 >= 80*time.Millisecond {
		t.Errorf("p50 %v, p99 %v, max %v; want the one slow request (80ms) as max and p99 only", s.P50, s.P99, s.Max)
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("sample opened %d connections, want 1 reused", got)
	}
	// Two distinct failures, each with its evidence.
	if len(s.Failures) != 2 ||
		!strings.HasPrefix(s.Failures[0], "status 500 Internal Server Error, want 200\nGET "+srv.URL+"/x: 500 Internal Server Error in ") ||
		!strings.HasSuffix(s.Failures[0], "body (5 bytes):\n  boom") ||
		!strings.HasPrefix(s.Failures[1], "status 404 Not Found, want 200\n") {
		t.Errorf("failures = %q", s.Failures)
	}
}

func TestSampleStops(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s := fastResolver(t).Sample(ctx, config.Endpoint{URL: srv.URL}, 1000, time.Second, 200)
	if s.Requests != 0 || !errors.Is(s.Err, context.Canceled) {
		t.Errorf("cancelled sample: %d requests, err %v", s.Requests, s.Err)
	}
	s = fastResolver(t).Sample(t.Context(), config.Endpoint{Service: "shop/web", Port: "http"}, 5, time.Second, 200)
	if s.Requests != 0 || !errors.Is(s.Err, ErrNoCluster) || s.Target != "service/shop/web:http/" || s.Object != "Service/shop/web" {
		t.Errorf("sample of a Service without a cluster: %d requests, err %v, target %q, object %q", s.Requests, s.Err, s.Target, s.Object)
	}
}
