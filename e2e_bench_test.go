package main_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/gittest"
)

// firstRequest is a loopback proxy in front of the emulator that notes
// when the first request of a run arrives.
type firstRequest struct {
	mu    sync.Mutex
	first time.Time
	proxy *httputil.ReverseProxy
}

func (f *firstRequest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.first.IsZero() {
		f.first = time.Now()
	}
	f.mu.Unlock()
	f.proxy.ServeHTTP(w, r)
}

// BenchmarkMergeCheckBinary runs the built binary on a clean pull request
// the way the runner does. Besides the time per run it reports the time from
// process start to the first GitHub API request and the API requests per run.
func BenchmarkMergeCheckBinary(b *testing.B) {
	shipgate(b)
	f := newFixture(b)
	head, base := f.pull(5, gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 5", 1)})
	ws := f.workspace()
	ev := pullEvent(b, 5, head, base)
	target, err := url.Parse(f.srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	target.Path = ""
	fr := &firstRequest{proxy: httputil.NewSingleHostReverseProxy(target)}
	proxy := httptest.NewServer(fr)
	b.Cleanup(proxy.Close)

	var toFirst time.Duration
	calls := 0
	for b.Loop() {
		before := len(f.srv.Calls())
		fr.mu.Lock()
		fr.first = time.Time{}
		fr.mu.Unlock()
		start := time.Now()
		s := runStep(b, f.srv, ws, "pull_request", ev, nil, "GITHUB_API_URL="+proxy.URL+"/api/v3")
		if s.code != 0 {
			b.Fatalf("exit code %d:\n%s", s.code, s.log)
		}
		toFirst += fr.first.Sub(start)
		calls += len(f.srv.Calls()) - before
	}
	b.ReportMetric(float64(toFirst.Milliseconds())/float64(b.N), "ms-to-first-api-call")
	b.ReportMetric(float64(calls)/float64(b.N), "api-calls/op")
}
