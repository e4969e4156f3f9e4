package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/monitor"
)

// recorder is an HTTP server on loopback that answers as its handler
// says and records what it was sent.
type recorder struct {
	mu   sync.Mutex
	seen map[string]int // "METHOD /path header body"
	n    int
	srv  *httptest.Server
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	t.Helper()
	r := &recorder{seen: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.n++
		r.seen[fmt.Sprintf("%s %s %s %s", req.Method, req.URL.RequestURI(), req.Header.Get("X-Load"), body)]++
		r.mu.Unlock()
		if h != nil {
			h(w, req)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func (r *recorder) target() Target { return Target{URL: r.srv.URL, Name: r.srv.URL} }

func pctp(f float64) *config.Percent { p := config.Percent(f); return &p }

// wait returns the run's results once it ends by its own bounds; a run
// that does not end within a minute fails the test.
func wait(t *testing.T, r *Run) Results {
	t.Helper()
	select {
	case <-r.Done():
		return r.Wait()
	case <-time.After(time.Minute):
		t.Fatal("the load did not end by its bounds within a minute")
		return Results{}
	}
}

// TestLoadRate runs loads at rates this machine meets easily, with the
// rate and throughput limits set to 5%: the checks measure the rate
// reached against the declared one, and every request sent is one the
// server answered.
func TestLoadRate(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{50, 100} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			t.Parallel()
			srv := newRecorder(t, nil)
			cfg := config.LoadSpec{Target: config.Endpoint{URL: srv.srv.URL}, Rate: rate, Duration: 3 * time.Second,
				Limits: config.LoadLimits{RateWithin: pctp(0.05), MinThroughput: pctp(0.95), P99: 5 * time.Second}}
			run, err := Start(t.Context(), cfg, srv.target())
			if err != nil {
				t.Fatal(err)
			}
			res := wait(t, run)
			if res.Requests != srv.count() || res.Requests != cfg.RequestBound() {
				t.Errorf("%d requests counted, the server saw %d, the bound is %d", res.Requests, srv.count(), cfg.RequestBound())
			}
			for _, c := range res.Checks(DefaultPrefix) {
				if c.Failed() {
					t.Errorf("check %s failed: %s", c.Name, c.Findings[0].Message)
				}
			}
			t.Logf("declared %v/s: %s", rate, strings.Join(res.Lines(), " "))
		})
	}
}

// TestLoadMix sends weighted paths with their methods, headers and bodies,
// some answered 500: the weights are observed exactly (smooth weighted
// round robin), the error mix is counted per status and path, the success
// check fails naming it, and the timeline shows the failing seconds.
func TestLoadMix(t *testing.T) {
	t.Parallel()
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/app/fail" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	cfg := config.LoadSpec{
		Target: config.Endpoint{URL: srv.srv.URL + "/app/"}, Rate: 200, MaxRequests: 100,
		Headers: map[string]string{"X-Load": "all"},
		Paths: []config.LoadPath{
			{Path: "/", Weight: 5},
			{Path: "/orders?page=2", Weight: 3, Method: "post", Headers: map[string]string{"X-Load": "orders"}, Body: `{"item":1}`},
			{Path: "/fail", Weight: 2, Method: "DELETE"},
		},
	}
	run, err := Start(t.Context(), cfg, Target{URL: cfg.Target.URL, Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	res := wait(t, run)
	wantSeen := map[string]int{"GET /app/ all ": 50, `POST /app/orders?page=2 orders {"item":1}`: 30, "DELETE /app/fail all ": 20}
	if diff := cmp.Diff(wantSeen, srv.seen); diff != "" {
		t.Errorf("requests the server saw (-want +got):\n%s", diff)
	}
	wantPaths := []PathCount{{Label: "GET /", Weight: 5, Requests: 50}, {Label: "POST /orders?page=2", Weight: 3, Requests: 30}, {Label: "DELETE /fail", Weight: 2, Requests: 20, Failed: 20}}
	if diff := cmp.Diff(wantPaths, res.Paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int]int{200: 80, 500: 20}, res.Codes); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	checks := res.Checks(DefaultPrefix)
	if len(checks) != 1 || checks[0].Name != "[load] success ratio should be at least 99%" || !checks[0].Failed() ||
		!strings.Contains(checks[0].Findings[0].Message, "20 of 100 requests") || !strings.Contains(checks[0].Findings[0].Message, "status 500 ×20") {
		t.Errorf("checks = %+v", checks)
	}
	errored := false
	for _, iv := range res.Intervals() {
		if iv.Source != Source || iv.To.Before(iv.From) {
			t.Errorf("interval %+v", iv)
		}
		errored = errored || iv.Level == monitor.Error && strings.Contains(iv.Message, "status 500")
	}
	if !errored {
		t.Errorf("no error interval names the 500s: %+v", res.Intervals())
	}
	lines := strings.Join(res.Lines(), "\n")
	for _, want := range []string{"100 requests", "200 ×80, 500 ×20", "DELETE /fail ×20 (weight 2, 20 failed)"} {
		if !strings.Contains(lines, want) {
			t.Errorf("lines do not say %q:\n%s", want, lines)
		}
	}
}

// TestLoadBounds shows a load ends by each of its bounds: the count, the
// duration, the context and Stop; the server never sees more than the
// bound.
func TestLoadBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  config.LoadSpec
		// stop ends the run early: "cancel" cancels its context, "stop"
		// calls Stop, once the server saw a request.
		stop string
		max  int
	}{
		{name: "max-requests", cfg: config.LoadSpec{Rate: 200, Duration: 10 * time.Minute, MaxRequests: 25}, max: 25},
		{name: "duration", cfg: config.LoadSpec{Rate: 20, Duration: 500 * time.Millisecond}, max: 10},
		{name: "context", cfg: config.LoadSpec{Rate: 20, Duration: 10 * time.Minute}, stop: "cancel", max: 12000},
		{name: "stop", cfg: config.LoadSpec{Rate: 20, Duration: 10 * time.Minute}, stop: "stop", max: 12000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			first := make(chan struct{})
			var once sync.Once
			srv := newRecorder(t, func(http.ResponseWriter, *http.Request) { once.Do(func() { close(first) }) })
			tc.cfg.Target = config.Endpoint{URL: srv.srv.URL}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			run, err := Start(ctx, tc.cfg, srv.target())
			if err != nil {
				t.Fatal(err)
			}
			var res Results
			switch tc.stop {
			case "cancel":
				<-first
				cancel()
				res = wait(t, run)
			case "stop":
				<-first
				res = run.Stop()
				if again := run.Stop(); again.Requests != res.Requests {
					t.Errorf("a second Stop counted %d requests, the first %d", again.Requests, res.Requests)
				}
			default:
				res = wait(t, run)
			}
			sent := srv.count()
			if res.Requests != sent || sent > tc.max || sent == 0 {
				t.Errorf("%d requests counted, the server saw %d; want 1 to %d", res.Requests, sent, tc.max)
			}
			if tc.stop == "" && tc.name == "max-requests" && sent != tc.max {
				t.Errorf("the server saw %d requests, want exactly max-requests %d", sent, tc.max)
			}
		})
	}
}

// TestLoadRedirectNotFollowed: a target that redirects elsewhere gets its
// 302 counted as failed, naming where it pointed, and the place it
// pointed at gets nothing.
func TestLoadRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	elsewhere := newRecorder(t, nil)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.srv.URL+"/stolen", http.StatusFound)
	})
	cfg := config.LoadSpec{Target: config.Endpoint{URL: srv.srv.URL}, Rate: 100, MaxRequests: 20}
	run, err := Start(t.Context(), cfg, srv.target())
	if err != nil {
		t.Fatal(err)
	}
	res := wait(t, run)
	if elsewhere.count() != 0 {
		t.Errorf("the redirect's target got %d requests, want none", elsewhere.count())
	}
	want := map[string]int{"302 redirect to " + elsewhere.srv.URL + "/stolen not followed (a load goes only to its target)": 20}
	if diff := cmp.Diff(want, res.Errors); diff != "" || res.Succeeded != 0 {
		t.Errorf("%d succeeded; errors (-want +got):\n%s", res.Succeeded, diff)
	}
}

// TestStartRefuses: a URL that would leave the target is refused before
// any request, even when the config was not validated.
func TestStartRefuses(t *testing.T) {
	t.Parallel()
	srv := newRecorder(t, nil)
	tests := []struct {
		name    string
		cfg     config.LoadSpec
		target  Target
		wantErr string
	}{
		{name: "a dot-dot path", cfg: config.LoadSpec{Rate: 1, Paths: []config.LoadPath{{Path: "/../../api/v1/secrets"}}}, target: Target{URL: srv.srv.URL + "/proxy/", Name: "t"},
			wantErr: `paths[0] "/../../api/v1/secrets" leads out of the target's path /proxy`},
		{name: "a host in the path", cfg: config.LoadSpec{Rate: 1, Paths: []config.LoadPath{{Path: "@elsewhere.example/"}}}, target: Target{URL: "http://127.0.0.1:1", Name: "t"},
			wantErr: `leads to http://elsewhere.example, not the target`},
		{name: "a target with a query and paths", cfg: config.LoadSpec{Rate: 1, Paths: []config.LoadPath{{Path: "/a"}}}, target: Target{URL: srv.srv.URL + "/?x=1", Name: "t"},
			wantErr: "target t has a query or fragment"},
		{name: "not a URL", cfg: config.LoadSpec{Rate: 1}, target: Target{URL: "127.0.0.1:80", Name: "t"}, wantErr: "want an absolute http or https URL"},
		{name: "a rate beyond the bound", cfg: config.LoadSpec{Rate: 5000}, target: Target{URL: srv.srv.URL, Name: "t"}, wantErr: "beyond the bounds"},
		{name: "nothing configured", target: Target{URL: srv.srv.URL, Name: "t"}, wantErr: "no load configured"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.cfg.Rate != 0 {
				tc.cfg.Target = config.Endpoint{URL: tc.target.URL}
			}
			run, err := Start(t.Context(), tc.cfg, tc.target)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				if run != nil {
					run.Stop()
				}
				t.Fatalf("Start() error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	if srv.count() != 0 {
		t.Errorf("the server got %d requests from refused loads", srv.count())
	}
}

// TestLaunch: a target that resolves runs; one that does not is a load
// that did not run, whose checks fail saying why.
func TestLaunch(t *testing.T) {
	t.Parallel()
	srv := newRecorder(t, nil)
	r, err := httpcheck.NewResolver(nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	res := wait(t, Launch(t.Context(), r, config.LoadSpec{Target: config.Endpoint{URL: srv.srv.URL + "/"}, Rate: 100, MaxRequests: 10}))
	if res.NotRun != "" || res.Requests != 10 || srv.count() != 10 {
		t.Errorf("URL target: not run %q, %d requests, server saw %d", res.NotRun, res.Requests, srv.count())
	}
	run := Launch(t.Context(), r, config.LoadSpec{Target: config.Endpoint{Service: "web"}, Rate: 100})
	res = run.Stop()
	checks := run.Checks(DefaultPrefix)
	if !strings.Contains(res.NotRun, "no cluster to reach a Service through") || len(checks) != 1 || !checks[0].Failed() ||
		!strings.Contains(checks[0].Findings[0].Message, "The load on service//web/ did not run") {
		t.Errorf("Service without a cluster: %+v; checks %+v", res, checks)
	}
}
