package httpcheck

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/config"
)

// flaky answers 503 to its first failures requests, then 200.
func flaky(t *testing.T, failures int64) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= failures {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// fastResolver is a URL-only resolver whose backoff starts at 10ms.
func fastResolver(t *testing.T) *Resolver {
	t.Helper()
	r, err := NewResolver(nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	r.backoff, r.backoffCap = 10*time.Millisecond, 40*time.Millisecond
	return r
}

func TestRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		failures int64
		deadline time.Duration
		attempts int
		problems []string
	}{
		{"passes at once", 0, time.Second, 1, nil},
		{"passes once the app settles", 3, 5 * time.Second, 4, nil},
		{"gives up at the deadline", 1 << 40, 300 * time.Millisecond, -1, []string{"status 503 Service Unavailable, want 200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, sent := flaky(t, tt.failures)
			check := config.HTTPCheck{Endpoint: config.Endpoint{URL: srv.URL}, Deadline: tt.deadline}
			out := fastResolver(t).Retry(t.Context(), check)
			if diff := cmp.Diff(tt.problems, out.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if int64(out.Attempts) != sent.Load() {
				t.Errorf("%d attempts counted, %d requests sent", out.Attempts, sent.Load())
			}
			if tt.attempts > 0 && out.Attempts != tt.attempts {
				t.Errorf("%d attempts, want %d", out.Attempts, tt.attempts)
			}
			if tt.attempts < 0 {
				// 10, 20, 40, 40... ms pauses: about 9 attempts in 300ms.
				if out.Attempts < 4 || out.Elapsed < tt.deadline || out.Elapsed > tt.deadline+time.Second {
					t.Errorf("gave up after %d attempts in %v; want several, ending just after %v", out.Attempts, out.Elapsed, tt.deadline)
				}
			}
		})
	}
}

func TestRetryStopsAtOnce(t *testing.T) {
	t.Parallel()
	srv, _ := flaky(t, 1<<40)
	r := fastResolver(t)
	r.backoff, r.backoffCap = 10*time.Second, 10*time.Second
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	out := r.Retry(ctx, config.HTTPCheck{Endpoint: config.Endpoint{URL: srv.URL}})
	if took := time.Since(start); took > 2*time.Second || out.Attempts != 1 {
		t.Errorf("a cancelled retry took %v and %d attempts; want it to stop during its first 10s pause", took, out.Attempts)
	}

	out = r.Retry(t.Context(), config.HTTPCheck{Endpoint: config.Endpoint{Service: "web"}})
	if out.Attempts != 1 || !errors.Is(out.Last.Err, ErrNoCluster) {
		t.Errorf("a Service without a cluster: %d attempts, error %v; want 1 attempt and ErrNoCluster", out.Attempts, out.Last.Err)
	}
}
