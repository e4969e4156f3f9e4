package ghemu_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/ghemu"
)

const (
	testRepo  = "octo-org/octo-repo"
	testOwner = "octo-org"
	testName  = "octo-repo"
	headSHA   = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	baseSHA   = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
)

// newClient is a go-github client for srv, configured the way a stage
// configures it from GITHUB_API_URL and GITHUB_TOKEN.
func newClient(t *testing.T, srv *ghemu.Server) *github.Client {
	t.Helper()
	env := srv.Env()
	c, err := github.NewClient(nil).WithAuthToken(env["GITHUB_TOKEN"]).WithEnterpriseURLs(env["GITHUB_API_URL"], env["GITHUB_API_URL"])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// do sends a raw request; path is relative to the API base URL unless it
// starts with "http". An empty auth sends no Authorization header.
func do(t *testing.T, srv *ghemu.Server, method, path, auth, body string) (*http.Response, string) {
	t.Helper()
	url := path
	if !strings.HasPrefix(path, "http") {
		url = srv.URL() + path
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// errorStatus is the HTTP status of a go-github error, 0 when there is none.
func errorStatus(err error) int {
	switch e := err.(type) {
	case *github.ErrorResponse:
		return e.Response.StatusCode
	case *github.RateLimitError:
		return e.Response.StatusCode
	case *github.AbuseRateLimitError:
		return e.Response.StatusCode
	}
	return 0
}
