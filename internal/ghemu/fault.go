package ghemu

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultRule makes matching requests fail. Rules are consulted in the order
// they were added; the first that matches answers. Faults apply to requests
// that passed authentication and validation, so an invalid request is still
// reported as a violation.
type FaultRule struct {
	// Method matches the HTTP method; empty matches any.
	Method string
	// PathPattern matches the OpenAPI path template the request routed to
	// ("/repos/{owner}/{repo}/check-runs") or the concrete path
	// ("/repos/o/r/check-runs/7"), relative to BasePath; empty matches any.
	PathPattern string
	// Times is how many matching requests fail before the rule is dropped;
	// 0 means every matching request until ClearFaults.
	Times int
	// Status is the HTTP status to answer.
	Status int
	// Headers are set on the response, replacing the emulator's own (for
	// example X-RateLimit-Remaining or Retry-After).
	Headers http.Header
	// Message is GitHub's error message; the body becomes GitHub's error
	// JSON. "{request_id}" is replaced by the request's X-GitHub-Request-Id.
	Message string
	// DocumentationURL goes with Message; empty means the operation's docs.
	DocumentationURL string
	// Body, when set, is sent verbatim instead of Message (for example an
	// HTML error page); set its Content-Type in Headers.
	Body string
	// AfterEmulation lets the request through first: the emulation runs
	// and changes state, then the fault answers instead of its response,
	// as when GitHub commits a write but the answer is lost (a 502 from a
	// proxy, a dropped connection). A request the emulation refuses keeps
	// its own answer and does not count against Times. REST only: GraphQL
	// requests never match such a rule.
	AfterEmulation bool
}

// matches reports whether the rule applies to the exchange.
func (f *FaultRule) matches(ex *exchange, after bool) bool {
	if f.AfterEmulation != after {
		return false
	}
	if f.Method != "" && !strings.EqualFold(f.Method, ex.req.Method) {
		return false
	}
	return f.PathPattern == "" || f.PathPattern == ex.template || f.PathPattern == ex.path
}

// Fail adds fault rules. An invalid rule fails the test at once.
func (s *Server) Fail(rules ...FaultRule) {
	s.t.Helper()
	for i, r := range rules {
		switch {
		case r.Status < 100 || r.Status > 599:
			s.t.Fatalf("ghemu: FaultRule %d: Status %d is not an HTTP status; set Status, e.g. http.StatusBadGateway", i, r.Status)
		case r.Times < 0:
			s.t.Fatalf("ghemu: FaultRule %d: Times %d is negative; use 0 for every request", i, r.Times)
		case r.PathPattern != "" && !strings.HasPrefix(r.PathPattern, "/"):
			s.t.Fatalf("ghemu: FaultRule %d: PathPattern %q must start with /", i, r.PathPattern)
		case strings.HasPrefix(r.PathPattern, BasePath+"/"):
			s.t.Fatalf("ghemu: FaultRule %d: PathPattern %q is relative to BasePath; drop the %s prefix", i, r.PathPattern, BasePath)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rules {
		r.Headers = r.Headers.Clone()
		s.faults = append(s.faults, &r)
	}
}

// ClearFaults drops every fault rule.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the answer of the first matching rule of the phase
// (before or after the emulation), if any, and counts it against the rule's
// Times.
func (s *Server) takeFault(ex *exchange, after bool) (reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !f.matches(ex, after) {
			continue
		}
		if f.Times > 0 {
			if f.Times--; f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		rep := reply{status: f.Status, header: f.Headers.Clone()}
		switch {
		case f.Body != "":
			rep.raw = []byte(f.Body)
		default:
			doc := f.DocumentationURL
			if doc == "" {
				doc = ex.docURL()
			}
			msg := strings.ReplaceAll(f.Message, "{request_id}", ex.requestID)
			if msg == "" {
				msg = http.StatusText(f.Status)
			}
			rep.body = ghError{Message: msg, DocumentationURL: doc, Status: strconv.Itoa(f.Status)}
		}
		return rep, true
	}
	return reply{}, false
}

// ServerError fails the next times matching requests (0: all) with 502 and
// GitHub's {"message":"Server Error"}.
func ServerError(method, pathPattern string, times int) FaultRule {
	return FaultRule{Method: method, PathPattern: pathPattern, Times: times,
		Status: http.StatusBadGateway, Message: "Server Error"}
}

// IntegrationForbidden fails matching requests with 403 "Resource not
// accessible by integration", what a GITHUB_TOKEN without the permission
// (for example a fork pull request's read-only token) gets.
func IntegrationForbidden(method, pathPattern string, times int) FaultRule {
	return FaultRule{Method: method, PathPattern: pathPattern, Times: times,
		Status: http.StatusForbidden, Message: msgNotAccessible}
}

// PrimaryRateLimit fails matching requests with GitHub's primary rate limit
// answer: 403, X-RateLimit-Remaining 0 and X-RateLimit-Reset at reset. Set
// Status to 429 on the result for the other form GitHub uses.
func PrimaryRateLimit(method, pathPattern string, times int, reset time.Time) FaultRule {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", strconv.Itoa(rateLimit))
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Used", strconv.Itoa(rateLimit))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
	return FaultRule{Method: method, PathPattern: pathPattern, Times: times,
		Status: http.StatusForbidden, Headers: h,
		Message:          "API rate limit exceeded for installation ID " + strconv.Itoa(installationID) + ".",
		DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}
}

// SecondaryRateLimit fails matching requests with GitHub's secondary rate
// limit answer: 403 with Retry-After (whole seconds, at least 1).
func SecondaryRateLimit(method, pathPattern string, times int, retryAfter time.Duration) FaultRule {
	secs := max(int64((retryAfter+time.Second-1)/time.Second), 1)
	h := http.Header{}
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
	return FaultRule{Method: method, PathPattern: pathPattern, Times: times,
		Status: http.StatusForbidden, Headers: h,
		Message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
			"If you reach out to GitHub Support for help, please include the request ID {request_id}.",
		DocumentationURL: "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}
}
