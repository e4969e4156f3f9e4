package ghemu_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/ghemu"
)

const checkRunsPath = "/repos/{owner}/{repo}/check-runs"

func TestFaultsInOrderThenCleared(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(testRepo)
	srv.Fail(
		ghemu.ServerError(http.MethodPost, checkRunsPath, 2),
		ghemu.IntegrationForbidden(http.MethodPost, checkRunsPath, 1),
		ghemu.ServerError(http.MethodGet, "/repos/"+testRepo, 1), // a concrete path
	)
	gh := newClient(t, srv)
	create := func() int {
		_, resp, err := gh.Checks.CreateCheckRun(t.Context(), testOwner, testName, github.CreateCheckRunOptions{Name: "build", HeadSHA: headSHA})
		if err != nil {
			return errorStatus(err)
		}
		return resp.StatusCode
	}
	var got []int
	for range 4 {
		got = append(got, create())
	}
	if diff := cmp.Diff([]int{502, 502, 403, 201}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if _, _, err := gh.Repositories.Get(t.Context(), testOwner, testName); errorStatus(err) != http.StatusBadGateway {
		t.Errorf("repos/get: %v, want 502", err)
	}
	if _, _, err := gh.Repositories.Get(t.Context(), testOwner, testName); err != nil {
		t.Errorf("repos/get after the fault: %v", err)
	}

	srv.Fail(ghemu.ServerError("", "", 0)) // everything, until cleared
	if got := create(); got != http.StatusBadGateway {
		t.Errorf("with a catch-all fault: %d, want 502", got)
	}
	srv.ClearFaults()
	if got := create(); got != http.StatusCreated {
		t.Errorf("after ClearFaults: %d, want 201", got)
	}
	var faults int
	for _, c := range srv.Calls() {
		if c.Fault {
			faults++
		}
	}
	if faults != 5 {
		t.Errorf("%d calls marked Fault, want 5", faults)
	}
}

func TestFaultErrorsAsGoGitHubSeesThem(t *testing.T) {
	t.Parallel()
	reset := time.Now().Add(time.Hour).Truncate(time.Second)
	tests := []struct {
		name  string
		fault ghemu.FaultRule
		check func(t *testing.T, err error)
	}{
		{"integration forbidden", ghemu.IntegrationForbidden(http.MethodPost, checkRunsPath, 1), func(t *testing.T, err error) {
			var er *github.ErrorResponse
			if !errors.As(err, &er) || er.Response.StatusCode != 403 || er.Message != "Resource not accessible by integration" {
				t.Errorf("err = %v, want 403 Resource not accessible by integration", err)
			}
		}},
		{"primary rate limit", ghemu.PrimaryRateLimit(http.MethodPost, checkRunsPath, 1, reset), func(t *testing.T, err error) {
			var rl *github.RateLimitError
			if !errors.As(err, &rl) || rl.Rate.Remaining != 0 || !rl.Rate.Reset.Time.Equal(reset) {
				t.Errorf("err = %#v, want *github.RateLimitError resetting at %v", err, reset)
			}
		}},
		{"secondary rate limit", ghemu.SecondaryRateLimit(http.MethodPost, checkRunsPath, 1, 90*time.Second), func(t *testing.T, err error) {
			var ab *github.AbuseRateLimitError
			if !errors.As(err, &ab) || ab.GetRetryAfter() != 90*time.Second {
				t.Errorf("err = %#v, want *github.AbuseRateLimitError retrying after 90s", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghemu.New(t)
			srv.AddRepo(testRepo)
			srv.Fail(tt.fault)
			_, _, err := newClient(t, srv).Checks.CreateCheckRun(t.Context(), testOwner, testName,
				github.CreateCheckRunOptions{Name: "build", HeadSHA: headSHA})
			tt.check(t, err)
		})
	}
}

func TestReadOnlyToken(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t, ghemu.WithReadOnlyToken())
	srv.AddPull(testRepo, ghemu.Pull{Number: 1})
	gh := newClient(t, srv)
	if _, _, err := gh.PullRequests.Get(t.Context(), testOwner, testName, 1); err != nil {
		t.Errorf("read with a read-only token: %v", err)
	}
	_, _, err := gh.Checks.CreateCheckRun(t.Context(), testOwner, testName, github.CreateCheckRunOptions{Name: "build", HeadSHA: headSHA})
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusForbidden || er.Message != "Resource not accessible by integration" {
		t.Errorf("write with a read-only token: %v, want 403 Resource not accessible by integration", err)
	}
	if runs := srv.CheckRuns(testRepo); len(runs) != 0 {
		t.Errorf("%d check runs created with a read-only token", len(runs))
	}
}

// TestGoGitHubRemembersRateLimits documents a client behaviour stage tests
// meet: after a primary rate limit whose reset is in the future, go-github
// answers later calls of the same client itself, without a request.
func TestGoGitHubRemembersRateLimits(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(testRepo)
	srv.Fail(ghemu.PrimaryRateLimit(http.MethodGet, "", 1, time.Now().Add(time.Hour)))
	gh := newClient(t, srv)
	for range 2 {
		_, _, err := gh.Repositories.Get(t.Context(), testOwner, testName)
		var rl *github.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("err = %v, want *github.RateLimitError", err)
		}
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d requests reached the emulator, want 1", n)
	}
	if _, _, err := newClient(t, srv).Repositories.Get(t.Context(), testOwner, testName); err != nil {
		t.Errorf("a fresh client: %v", err)
	}
}
