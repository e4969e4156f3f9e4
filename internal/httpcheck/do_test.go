package httpcheck

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/config"
)

// app is a loopback server with the answers Do's tests need.
func app(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Header.Get("X-Test"))
		fmt.Fprintf(w, "%s|%s", r.Method, b)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("a", MaxBody+10)))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.Handle("/moved", http.RedirectHandler("/echo", http.StatusFound))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestDo(t *testing.T) {
	t.Parallel()
	srv := app(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	r, err := NewResolver(nil, nil, "shop")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		check config.HTTPCheck
		// test returns what is wrong with the observation.
		test func(o Observation) string
	}{
		{"method, headers and body are sent", config.HTTPCheck{
			Endpoint: config.Endpoint{URL: srv.URL + "/echo"}, Method: "post", Headers: map[string]string{"X-Test": "yes"}, Body: "payload",
		}, func(o Observation) string {
			if o.Status != 200 || string(o.Body) != "POST|payload" || o.Header.Get("X-Seen") != "yes" || o.Method != "POST" {
				return fmt.Sprintf("status %d, body %q, X-Seen %q, method %s", o.Status, o.Body, o.Header.Get("X-Seen"), o.Method)
			}
			if o.Target != srv.URL+"/echo" || o.Object != "" || o.Latency <= 0 || o.Err != nil {
				return fmt.Sprintf("target %q, object %q, latency %v, err %v", o.Target, o.Object, o.Latency, o.Err)
			}
			return ""
		}},
		{"a long body is cut at MaxBody", config.HTTPCheck{Endpoint: config.Endpoint{URL: srv.URL + "/big"}}, func(o Observation) string {
			if !o.Truncated || len(o.Body) != MaxBody || o.Err != nil {
				return fmt.Sprintf("truncated %v, %d bytes, err %v", o.Truncated, len(o.Body), o.Err)
			}
			return ""
		}},
		{"the request timeout names itself", config.HTTPCheck{Endpoint: config.Endpoint{URL: srv.URL + "/slow"}, Timeout: 50 * time.Millisecond}, func(o Observation) string {
			if o.Status != 0 || o.Err == nil || o.Err.Error() != "no answer within the request timeout of 50ms: context deadline exceeded" || o.Latency < 50*time.Millisecond {
				return fmt.Sprintf("status %d, err %v, latency %v", o.Status, o.Err, o.Latency)
			}
			return ""
		}},
		{"redirects are followed", config.HTTPCheck{Endpoint: config.Endpoint{URL: srv.URL + "/moved"}}, func(o Observation) string {
			if o.Status != 200 || string(o.Body) != "GET|" {
				return fmt.Sprintf("status %d, body %q", o.Status, o.Body)
			}
			return ""
		}},
		{"unless a 3xx is expected", config.HTTPCheck{Endpoint: config.Endpoint{URL: srv.URL + "/moved"}, Expect: config.Expect{Status: 302}}, func(o Observation) string {
			if o.Status != 302 || o.Header.Get("Location") != "/echo" {
				return fmt.Sprintf("status %d, location %q", o.Status, o.Header.Get("Location"))
			}
			return ""
		}},
		{"a refused connection has no URL in the error", config.HTTPCheck{Endpoint: config.Endpoint{URL: closed.URL}}, func(o Observation) string {
			if o.Status != 0 || o.Err == nil || !strings.Contains(o.Err.Error(), "connection refused") || strings.Contains(o.Err.Error(), closed.URL) {
				return fmt.Sprintf("status %d, err %v", o.Status, o.Err)
			}
			return ""
		}},
		{"a Service needs a cluster", config.HTTPCheck{Endpoint: config.Endpoint{Service: "web", Path: "/healthz"}}, func(o Observation) string {
			if !errors.Is(o.Err, ErrNoCluster) || o.Target != "service/shop/web/healthz" || o.Object != "Service/shop/web" {
				return fmt.Sprintf("err %v, target %q, object %q", o.Err, o.Target, o.Object)
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if msg := tt.test(r.Do(t.Context(), tt.check)); msg != "" {
				t.Error(msg)
			}
		})
	}
}
