package ghemu

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// exchange is one request on its way through the emulator.
type exchange struct {
	req  *http.Request
	body []byte
	// path is relative to BasePath once the request is inside it.
	path  string
	route *routers.Route
	// template is the description's path template the request matched.
	template  string
	rawParams map[string]string
	// params are the path parameters, percent-decoded.
	params      map[string]string
	input       *openapi3filter.RequestValidationInput
	requestID   string
	annotations int
	fault       bool
	// token is the token the request authenticated with.
	token string
	// op names a request that has no OpenAPI operation (GraphQL).
	op string
}

func (ex *exchange) operationID() string {
	if ex.route == nil || ex.route.Operation == nil {
		return ex.op
	}
	return ex.route.Operation.OperationID
}

// docURL is the operation's documentation, as GitHub puts in its errors.
func (ex *exchange) docURL() string {
	if ex.route != nil && ex.route.Operation != nil && ex.route.Operation.ExternalDocs != nil {
		return ex.route.Operation.ExternalDocs.URL
	}
	return restDocs
}

// handler answers one operation. It runs with s.mu held.
type handler func(s *Server, ex *exchange) reply

// handlers maps operationIds of the subset to their emulation.
var handlers = map[string]handler{
	"actions/download-artifact":                       (*Server).downloadArtifact,
	"actions/list-workflow-run-artifacts":             (*Server).listRunArtifacts,
	"actions/list-workflow-runs-for-repo":             (*Server).listWorkflowRuns,
	"checks/create":                                   (*Server).createCheckRun,
	"checks/update":                                   (*Server).updateCheckRun,
	"checks/get":                                      (*Server).getCheckRun,
	"checks/list-for-ref":                             (*Server).listCheckRunsForRef,
	"issues/create-comment":                           (*Server).createComment,
	"pulls/get":                                       (*Server).getPull,
	"pulls/list":                                      (*Server).listPulls,
	"pulls/merge":                                     (*Server).mergePull,
	"repos/create-deployment":                         (*Server).createDeployment,
	"repos/create-deployment-status":                  (*Server).createDeploymentStatus,
	"repos/get":                                       (*Server).getRepo,
	"repos/list-deployment-statuses":                  (*Server).listDeploymentStatuses,
	"repos/list-deployments":                          (*Server).listDeployments,
	"repos/list-pull-requests-associated-with-commit": (*Server).listPullsForCommit,
}

// serveHTTP answers one request: authenticate, route, check GitHub's rules,
// validate against the OpenAPI description, inject faults, emulate, then
// validate the response.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests++
	n := s.requests
	s.mu.Unlock()
	ex := &exchange{req: r, body: body, path: r.URL.Path, requestID: requestID(n)}
	if strings.HasPrefix(r.URL.Path, BlobPath) {
		s.serveBlob(w, ex)
		return
	}
	rep := s.handle(ex)
	s.send(w, ex, rep, n)
}

func (s *Server) handle(ex *exchange) reply {
	if ex.req.URL.Path == GraphQLPath {
		return s.handleGraphQL(ex)
	}
	rel, ok := strings.CutPrefix(ex.req.URL.Path, BasePath)
	if !ok || !strings.HasPrefix(rel, "/") {
		s.addViolation(ex, "outside "+BasePath+"/: the client did not resolve the path against the API base URL")
		return notFound(restDocs)
	}
	ex.path = rel
	if rep, ok := s.authenticate(ex, restDocs); !ok {
		return rep
	}
	route, params, err := s.spec.router.FindRoute(ex.req)
	if err != nil {
		s.addViolation(ex, "no such endpoint in GitHub's OpenAPI description ("+err.Error()+")")
		return notFound(restDocs)
	}
	ex.route, ex.rawParams, ex.params = route, params, unescapeAll(params)
	ex.template = s.spec.templates[route.Path]
	ex.annotations = countAnnotations(ex.body)
	if rule, ok := rules[ex.operationID()]; ok {
		if rep, broken := rule(s, ex); broken {
			s.addViolation(ex, "GitHub rule: "+describe(rep))
			return rep
		}
	}
	if err := s.validateRequest(ex); err != nil {
		s.addViolation(ex, err.Error())
		return invalidRequest(ex.docURL(), err.Error())
	}
	if rep, ok := s.takeFault(ex, false); ok {
		ex.fault = true
		return rep
	}
	if s.cfg.readOnly && ex.token == s.cfg.token && ex.req.Method != http.MethodGet && ex.req.Method != http.MethodHead {
		ex.fault = true
		return errorReply(http.StatusForbidden, msgNotAccessible, ex.docURL())
	}
	h, ok := handlers[ex.operationID()]
	if !ok {
		s.addBug("%s %s: operation %s is in the OpenAPI subset but not emulated yet; add a handler in internal/ghemu",
			ex.req.Method, ex.path, ex.operationID())
		return errorReply(http.StatusNotImplemented, "ghemu does not emulate "+ex.operationID()+" yet", ex.docURL())
	}
	rep := s.emulate(h, ex)
	if rep.status < 400 {
		if lost, ok := s.takeFault(ex, true); ok {
			ex.fault = true
			return lost
		}
	}
	return rep
}

// emulate runs a handler with s.mu held.
func (s *Server) emulate(h handler, ex *exchange) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return h(s, ex)
}

// authenticate accepts "Bearer TOKEN" and "token TOKEN" for the token and
// the extra tokens, and records which one the request carried.
func (s *Server) authenticate(ex *exchange, docURL string) (reply, bool) {
	h := ex.req.Header.Get("Authorization")
	if h == "" {
		return errorReply(http.StatusUnauthorized, "Requires authentication", docURL), false
	}
	scheme, token, _ := strings.Cut(h, " ")
	known := token == s.cfg.token || slices.Contains(s.cfg.extraTokens, token)
	if (strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "token")) && known {
		ex.token = token
		return reply{}, true
	}
	return errorReply(http.StatusUnauthorized, "Bad credentials", docURL), false
}

// send adds GitHub's headers, validates the response and writes it.
func (s *Server) send(w http.ResponseWriter, ex *exchange, rep reply, n int) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Request-Id", ex.requestID)
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-RateLimit-Limit", strconv.Itoa(rateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(rateLimit-n, 0)))
	h.Set("X-RateLimit-Used", strconv.Itoa(min(n, rateLimit)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.rateReset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
	for k, v := range rep.header {
		h[k] = v
	}
	body := rep.raw
	if rep.raw == nil && rep.body != nil {
		var err error
		if body, err = encode(rep.body); err != nil {
			s.addBug("%s %s: encode response: %v", ex.req.Method, ex.path, err)
		}
	}
	if rep.raw == nil {
		s.validateResponse(ex, rep.status, h, body)
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{
		Method: ex.req.Method, Path: ex.path, Query: ex.req.URL.RawQuery, Operation: ex.operationID(),
		Status: rep.status, RequestBytes: len(ex.body), Annotations: ex.annotations, Fault: ex.fault,
	})
	s.callTokens = append(s.callTokens, ex.token)
	s.mu.Unlock()
	w.WriteHeader(rep.status)
	_, _ = w.Write(body)
}

// requestID has the shape of X-GitHub-Request-Id.
func requestID(n int) string {
	return fmt.Sprintf("C0DE:%04X:%06X:%06X:%08X", n%0xFFFF, n*7919%0xFFFFFF, n*104729%0xFFFFFF, 0x67000000+n)
}

func unescapeAll(params map[string]string) map[string]string {
	out := make(map[string]string, len(params))
	for k, v := range params {
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		out[k] = v
	}
	return out
}

// countAnnotations is the length of output.annotations in a JSON body.
func countAnnotations(body []byte) int {
	var b struct {
		Output struct {
			Annotations []json.RawMessage `json:"annotations"`
		} `json:"output"`
	}
	if json.Unmarshal(body, &b) != nil {
		return 0
	}
	return len(b.Output.Annotations)
}

// describe renders an error reply for a violation report.
func describe(rep reply) string {
	b, err := encode(rep.body)
	if err != nil {
		return http.StatusText(rep.status)
	}
	return fmt.Sprintf("%d %s", rep.status, b)
}
