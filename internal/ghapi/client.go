// Package ghapi is shipgate's GitHub side on go-github: check runs with
// annotations, pull requests and their mergeability, deployments and their
// statuses, comments on pull requests. Requests are retried with bounded
// backoff on server errors and rate limits.
package ghapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Client talks to one repository's API.
type Client struct {
	gh          *github.Client
	owner, repo string
	// Calls counts the HTTP requests sent, retries included.
	calls *counter
	logf  func(string, ...any)
	// storage downloads from where the API redirects (artifact archives):
	// the same retries, never the token.
	storage *http.Client
}

// Option changes a Client.
type Option func(*options)

type options struct {
	httpClient  *http.Client
	maxAttempts int
	maxWait     time.Duration
	backoff     time.Duration
	now         func() time.Time
	sleep       func(contextLike, time.Duration) error
	logf        func(string, ...any)
}

// WithHTTPClient sets the HTTP client whose transport is wrapped.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithRetry sets the attempts per request, the longest single wait and the
// first backoff step (doubling per attempt).
func WithRetry(attempts int, maxWait, backoff time.Duration) Option {
	return func(o *options) { o.maxAttempts, o.maxWait, o.backoff = attempts, maxWait, backoff }
}

// WithClock sets the clock and the sleep used between retries (for tests).
func WithClock(now func() time.Time, sleep func(contextLike, time.Duration) error) Option {
	return func(o *options) { o.now, o.sleep = now, sleep }
}

// WithLogf sets where retry and recovery messages go.
func WithLogf(logf func(string, ...any)) Option { return func(o *options) { o.logf = logf } }

// New returns a client for repository "owner/name" at apiURL
// (GITHUB_API_URL: https://api.github.com, or https://HOST/api/v3 on GitHub
// Enterprise Server).
func New(apiURL, token, repository string, opts ...Option) (*Client, error) {
	owner, repo, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", repository)
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL such as https://api.github.com", apiURL)
	}
	if token == "" {
		return nil, errors.New("input github-token is empty: pass ${{ github.token }} or a GitHub App token")
	}
	o := options{
		httpClient:  &http.Client{Timeout: 60 * time.Second},
		maxAttempts: 5,
		maxWait:     90 * time.Second,
		backoff:     time.Second,
		now:         time.Now,
		sleep:       sleepCtx,
		logf:        func(string, ...any) {},
	}
	for _, opt := range opts {
		opt(&o)
	}
	base := o.httpClient.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cnt := &counter{base: base}
	hc := *o.httpClient
	hc.Transport = &retryTransport{
		base: cnt, maxAttempts: o.maxAttempts, maxWait: o.maxWait, backoff: o.backoff,
		now: o.now, sleep: o.sleep, logf: o.logf,
	}
	storage := hc
	gh := github.NewClient(&hc).WithAuthToken(token)
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	gh.BaseURL = u
	gh.UserAgent = "shipgate"
	return &Client{gh: gh, owner: owner, repo: repo, calls: cnt, logf: o.logf, storage: &storage}, nil
}

// Calls returns how many HTTP requests the client has sent, retries included.
func (c *Client) Calls() int { return c.calls.n() }

// IsForbidden reports whether err is GitHub refusing the token the action
// (a 403 that is not a rate limit), as a fork pull request's read-only token
// gets when creating a check run: "Resource not accessible by integration".
func IsForbidden(err error) bool {
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &rl) || errors.As(err, &abuse) {
		return false
	}
	var er *github.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden
}
