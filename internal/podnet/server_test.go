package podnet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestBehaviorFromEnv(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) []corev1.EnvVar {
		var e []corev1.EnvVar
		for i := 0; i < len(kv); i += 2 {
			e = append(e, corev1.EnvVar{Name: kv[i], Value: kv[i+1]})
		}
		return e
	}
	tests := []struct {
		name    string
		env     []corev1.EnvVar
		want    Behavior
		wantErr string
	}{
		{"none", nil, Behavior{}, ""},
		{"all", env("VERSION", "v2", "FAIL_RATE", "0.25", "LATENCY", "150ms", "OTHER", "x"), Behavior{Version: "v2", FailRate: 0.25, Latency: 150 * time.Millisecond}, ""},
		{"last wins", env("VERSION", "v1", "VERSION", "v2"), Behavior{Version: "v2"}, ""},
		{"empty values", env("FAIL_RATE", "", "LATENCY", ""), Behavior{}, ""},
		{"rate not a number", env("FAIL_RATE", "half"), Behavior{}, `FAIL_RATE="half"`},
		{"rate above 1", env("FAIL_RATE", "1.5"), Behavior{}, "from 0 to 1"},
		{"rate NaN", env("FAIL_RATE", "NaN"), Behavior{}, "from 0 to 1"},
		{"latency without unit", env("LATENCY", "100"), Behavior{}, `LATENCY="100"`},
		{"negative latency", env("LATENCY", "-1s"), Behavior{}, "0 or more"},
		{"cpu and orders", env("CPU", "0.5", "ORDERS_RATE", "10"), Behavior{CPU: 0.5, OrdersRate: 10}, ""},
		{"cpu not a number", env("CPU", "half"), Behavior{}, `CPU="half"`},
		{"negative orders", env("ORDERS_RATE", "-1"), Behavior{}, "ORDERS_RATE -1: want orders per second of 0 or more"},
		{"valueFrom", []corev1.EnvVar{{Name: "VERSION", ValueFrom: &corev1.EnvVarSource{}}}, Behavior{}, "valueFrom"},
		{"valueFrom elsewhere", []corev1.EnvVar{{Name: "DB", ValueFrom: &corev1.EnvVarSource{}}}, Behavior{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := BehaviorFromEnv(tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("BehaviorFromEnv error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("BehaviorFromEnv: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("BehaviorFromEnv (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServerBehavior(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "behav", 10)
	ip := podIP(10, 5)

	t.Run("version", func(t *testing.T) {
		t.Parallel()
		serve(t, n, ip, 8001, "v", Behavior{Version: "2.0.1"})
		for _, path := range []string{"/", "/healthz", "/api/x"} {
			r := mustGet(t, n, "http://198.18.10.5:8001"+path)
			want := reply{status: 200, version: "2.0.1", body: Response{Version: "2.0.1", Pod: "v", Path: path}}
			if diff := cmp.Diff(want, r, cmp.AllowUnexported(reply{})); diff != "" {
				t.Errorf("GET %s (-want +got):\n%s", path, diff)
			}
		}
	})
	t.Run("always fails", func(t *testing.T) {
		t.Parallel()
		s := serve(t, n, ip, 8002, "f", Behavior{Version: "v", FailRate: 1})
		for range 3 {
			r := mustGet(t, n, "http://198.18.10.5:8002/healthz")
			if r.status != 500 || r.body.Error == "" || r.version != "v" {
				t.Errorf("GET /healthz = %+v, want a 500 with an error and X-Version v", r)
			}
		}
		if got := s.Stats(); got != (Stats{Requests: 3, Failures: 3}) {
			t.Errorf("Stats = %+v, want 3 requests, 3 failures", got)
		}
	})
	t.Run("fails half", func(t *testing.T) {
		t.Parallel()
		s := serve(t, n, ip, 8003, "h", Behavior{FailRate: 0.5})
		const total = 200
		for range total {
			mustGet(t, n, "http://198.18.10.5:8003/")
		}
		// Binomial(200, 0.5): outside [60, 140] is more than 5 sigma away.
		if got := s.Stats(); got.Requests != total || got.Failures < 60 || got.Failures > 140 {
			t.Errorf("Stats = %+v, want %d requests and about half failed", got, total)
		}
	})
	t.Run("latency", func(t *testing.T) {
		t.Parallel()
		serve(t, n, ip, 8004, "l", Behavior{Latency: 200 * time.Millisecond})
		start := time.Now()
		r := mustGet(t, n, "http://198.18.10.5:8004/healthz")
		if took := time.Since(start); took < 200*time.Millisecond || r.status != 200 {
			t.Errorf("GET took %v with status %d, want at least 200ms and 200", took, r.status)
		}
		// A client that gives up sooner gets nothing.
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		if _, err := get(ctx, n, "http://198.18.10.5:8004/"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("GET with a 50ms deadline = %v, want a deadline error", err)
		}
	})
}

func TestServerClose(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "sclose", 11)
	ip := podIP(11, 5)
	s := serve(t, n, ip, 8080, "p", Behavior{Latency: time.Hour})

	// A request stuck in its latency ends when the server closes.
	errc := make(chan error, 1)
	go func() {
		_, err := get(t.Context(), n, "http://198.18.11.5:8080/")
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Errorf("GET during Close succeeded, want an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("GET still waiting 10s after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// The port is free again in the namespace.
	s2, err := n.Serve(t.Context(), ServerConfig{Addr: netip.AddrPortFrom(ip, 8080), Pod: "q"})
	if err != nil {
		t.Fatalf("Serve again: %v", err)
	}
	if r := mustGet(t, n, fmt.Sprintf("http://%s/", s2.Addr())); r.body.Pod != "q" {
		t.Errorf("GET answered for pod %q, want q", r.body.Pod)
	}
}

func TestServeNeedsAddress(t *testing.T) {
	t.Parallel()
	n := newTestNetwork(t, "noaddr", 12)
	_, err := n.Serve(t.Context(), ServerConfig{Addr: netip.MustParseAddrPort("198.18.12.5:80")})
	if err == nil || !strings.Contains(err.Error(), "assign requested address") {
		t.Errorf("Serve without AddAddress = %v, want cannot assign requested address", err)
	}
	if _, err := n.Serve(t.Context(), ServerConfig{Addr: netip.MustParseAddrPort("198.18.12.5:0")}); err == nil {
		t.Error("Serve on port 0 succeeded, want an error")
	}
	if _, err := n.Serve(t.Context(), ServerConfig{Addr: netip.MustParseAddrPort("198.18.12.5:80"), Behavior: Behavior{FailRate: 2}}); err == nil {
		t.Error("Serve with FailRate 2 succeeded, want an error")
	}
}
