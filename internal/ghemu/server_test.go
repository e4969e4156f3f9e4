package ghemu_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/ghemu"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t, ghemu.WithToken("ghs_secret"))
	srv.AddRepo(testRepo)
	tests := []struct {
		auth    string
		status  int
		message string
	}{
		{"", http.StatusUnauthorized, "Requires authentication"},
		{"Bearer wrong", http.StatusUnauthorized, "Bad credentials"},
		{"Basic ghs_secret", http.StatusUnauthorized, "Bad credentials"},
		{"Bearer ghs_secret", http.StatusOK, ""},
		{"token ghs_secret", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.auth, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, srv, http.MethodGet, "/repos/"+testRepo, tt.auth, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			var e struct {
				Message          string `json:"message"`
				DocumentationURL string `json:"documentation_url"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatal(err)
			}
			if tt.message != "" && (e.Message != tt.message || e.DocumentationURL == "") {
				t.Errorf("body = %s, want message %q and a documentation_url", body, tt.message)
			}
		})
	}
}

func TestResponseHeaders(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(testRepo)
	resp, body := do(t, srv, http.MethodGet, "/repos/"+testRepo, "Bearer "+srv.Token(), "")
	for _, h := range []string{"X-GitHub-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if !strings.Contains(body, `"full_name":"`+testRepo+`"`) || !strings.Contains(body, srv.URL()+"/repos/"+testRepo) {
		t.Errorf("repository body does not name %s with API URLs under %s", testRepo, srv.URL())
	}
}

func TestRejectsUnknownRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, body string
		reason                   string
	}{
		{"endpoint outside the subset", http.MethodGet, "/repos/" + testRepo + "/issues", "", "no such endpoint"},
		{"wrong method", http.MethodDelete, "/repos/" + testRepo + "/pulls/1", "", "no such endpoint"},
		{"outside the base path", http.MethodGet, "ROOT/repos/" + testRepo, "", "outside /api/v3/"},
		{"invalid query", http.MethodGet, "/repos/" + testRepo + "/pulls?state=merged", "", `parameter "state"`},
		{"body on a GET", http.MethodGet, "/repos/" + testRepo, "{}", "request body"},
		{"not JSON", http.MethodPut, "/repos/" + testRepo + "/pulls/1/merge", "{", "request body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghemu.New(t)
			srv.AddRepo(testRepo)
			path := strings.Replace(tt.path, "ROOT", strings.TrimSuffix(srv.URL(), ghemu.BasePath), 1)
			resp, body := do(t, srv, tt.method, path, "Bearer "+srv.Token(), tt.body)
			if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("status = %d, want 404 or 422: %s", resp.StatusCode, body)
			}
			v := srv.TakeViolations()
			if len(v) != 1 || !strings.Contains(v[0].Reason, tt.reason) {
				t.Errorf("violations = %v, want one containing %q", v, tt.reason)
			}
			if calls := srv.Calls(); len(calls) != 1 || calls[0].Status != resp.StatusCode {
				t.Errorf("calls = %v, want the one request", calls)
			}
		})
	}
}

// recorder is a testing.TB that keeps what the emulator reports at cleanup.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	errors   []string
	cleanups []func()
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) cleanup() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestViolationsFailTheTest(t *testing.T) {
	t.Parallel()
	rec := &recorder{TB: t}
	srv := ghemu.New(rec)
	srv.AddRepo(testRepo)
	_, _, err := newClient(t, srv).Checks.CreateCheckRun(t.Context(), testOwner, testName,
		github.CreateCheckRunOptions{Name: "build", HeadSHA: headSHA, Status: github.String("done")})
	if errorStatus(err) != http.StatusUnprocessableEntity {
		t.Errorf("invalid status: %v, want 422", err)
	}
	rec.cleanup()
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], `Error at "/status"`) {
		t.Errorf("cleanup reported %q, want one error naming /status", rec.errors)
	}
}

func TestConcurrentCheckRuns(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(testRepo)
	gh := newClient(t, srv)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, _, err := gh.Checks.CreateCheckRun(t.Context(), testOwner, testName,
				github.CreateCheckRunOptions{Name: fmt.Sprintf("check-%d", i), HeadSHA: headSHA})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	runs := srv.CheckRuns(testRepo)
	if len(runs) != 20 {
		t.Fatalf("%d runs, want 20", len(runs))
	}
	for i := 1; i < len(runs); i++ {
		if runs[i].ID != runs[i-1].ID+1 {
			t.Errorf("ids not increasing by one: %d then %d", runs[i-1].ID, runs[i].ID)
		}
	}
}
