package ghemu

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// BasePath is where the emulator serves the API, as GitHub Enterprise
// Server does (https://HOST/api/v3). Requests outside it are unknown
// endpoints, so a client that drops the base path fails loudly.
const BasePath = "/api/v3"

// DefaultToken is the token the emulator accepts unless WithToken is given.
// It has the shape of an installation token (a GITHUB_TOKEN).
const DefaultToken = "ghs_ghemu0000000000000000000000000000000"

const (
	// rateLimit is X-RateLimit-Limit for an installation token.
	rateLimit = 5000
	// installationID appears in rate limit messages.
	installationID = 48151623
	// msgNotAccessible is GitHub's answer to a token without the permission.
	msgNotAccessible = "Resource not accessible by integration"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	token    string
	readOnly bool
	now      func() time.Time
	// extraTokens are accepted beside token (WithExtraToken).
	extraTokens []string
}

// WithToken sets the token requests must carry (Bearer or token scheme).
func WithToken(token string) Option {
	return func(c *config) { c.token = token }
}

// WithExtraToken makes the emulator accept another token beside Token(),
// e.g. a GitHub App token or PAT a workflow passes besides GITHUB_TOKEN.
// WithReadOnlyToken does not apply to it. CallsWithToken tells which
// token each request carried.
func WithExtraToken(token string) Option {
	return func(c *config) { c.extraTokens = append(c.extraTokens, token) }
}

// WithReadOnlyToken makes every write (any method but GET and HEAD) answer
// 403 "Resource not accessible by integration", like the read-only
// GITHUB_TOKEN of a pull request from a fork.
func WithReadOnlyToken() Option {
	return func(c *config) { c.readOnly = true }
}

// WithClock sets the clock used for timestamps the emulator fills in
// (started_at, merged_at, ...); the default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// Server is a GitHub REST API emulator on a loopback httptest server. It is
// safe for concurrent use.
type Server struct {
	t    testing.TB
	spec *spec
	http *httptest.Server
	cfg  config

	mu        sync.Mutex
	requests  int
	rateReset time.Time
	repos     map[string]*repo
	checkRuns []*checkRun
	merges    []Merge
	// deployments are indexed by ID - firstDeploymentID.
	deployments           []*deployment
	deploymentStatusCount int64
	comments              []Comment
	faults                []*FaultRule
	calls                 []Call
	callTokens            []string // the token of each call, by index
	violations            []Violation
	bugs                  []string
	graphql               graphqlState
	actions               actionsState
}

// New starts an emulator for the test and closes it at cleanup, failing the
// test if any request was one GitHub would reject or any response broke
// GitHub's OpenAPI description. The description is loaded once per process.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	sp, err := loadSpec()
	if err != nil {
		t.Fatalf("ghemu: %v", err)
	}
	cfg := config{token: DefaultToken, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.token == "" || slices.Contains(cfg.extraTokens, "") {
		t.Fatal("ghemu: WithToken(\"\") or WithExtraToken(\"\"): a token must not be empty")
	}
	s := &Server{t: t, spec: sp, cfg: cfg, repos: map[string]*repo{}}
	s.rateReset = s.now().Add(time.Hour)
	s.http = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(func() {
		s.http.Close()
		s.report()
	})
	return s
}

// URL returns the API base URL, BasePath included and without a trailing
// slash, the form GITHUB_API_URL has on GitHub Enterprise Server
// ("http://127.0.0.1:PORT/api/v3"). go-github needs a trailing slash on its
// BaseURL: append one, or use Client.WithEnterpriseURLs.
func (s *Server) URL() string {
	return s.http.URL + BasePath
}

// Token returns the token requests must carry.
func (s *Server) Token() string {
	return s.cfg.token
}

// CallsWithToken returns the requests answered so far that carried token,
// in order.
func (s *Server) CallsWithToken(token string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for i, c := range s.calls {
		if s.callTokens[i] == token {
			out = append(out, c)
		}
	}
	return out
}

// Env returns the environment variables a GitHub Actions step would see for
// this emulator: GITHUB_API_URL and GITHUB_TOKEN.
func (s *Server) Env() map[string]string {
	return map[string]string{"GITHUB_API_URL": s.URL(), "GITHUB_TOKEN": s.cfg.token}
}

// now is the emulator's clock, in UTC, to the second like GitHub's.
func (s *Server) now() time.Time {
	return s.cfg.now().UTC().Truncate(time.Second)
}
