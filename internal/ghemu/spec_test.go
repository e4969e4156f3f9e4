package ghemu

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
)

// operations are the operationIds the subset must hold (see
// testdata/github/openapi/README.md).
var operations = []string{
	"actions/download-artifact", "actions/list-workflow-run-artifacts", "actions/list-workflow-runs-for-repo",
	"checks/create", "checks/get", "checks/list-for-ref", "checks/update",
	"issues/create-comment",
	"pulls/get", "pulls/list", "pulls/merge",
	"repos/create-commit-status", "repos/create-deployment", "repos/create-deployment-status",
	"repos/get", "repos/list-deployment-statuses", "repos/list-deployments",
	"repos/list-pull-requests-associated-with-commit",
}

func TestSpecSubset(t *testing.T) {
	t.Parallel()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	// A fresh load, not the process-wide one, to measure it.
	sp, err := readSpec(filepath.Join(root, SpecPath))
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(root, SpecPath))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("subset: %d bytes, loaded, validated and routed in %v", info.Size(), sp.loadTime)

	var got []string
	for _, item := range sp.doc.Paths.Map() {
		for _, op := range item.Operations() {
			got = append(got, op.OperationID)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(operations, got); diff != "" {
		t.Errorf("operations in the subset (-want +got):\n%s", diff)
	}
	for id := range handlers {
		if !slices.Contains(operations, id) {
			t.Errorf("handler for %s, which the subset lacks", id)
		}
	}
}

// knownBadExamples are GitHub's examples that break their own schema in
// @octokit/openapi 23.0.2; the emulator patches what it uses of them. When a
// regeneration changes this list, review the patches in render.go.
var knownBadExamples = []string{
	"GET /repos/{owner}/{repo} 200 default-response",
	"GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls 200 default",
	"GET /repos/{owner}/{repo}/pulls 200 default",
	"GET /repos/{owner}/{repo}/pulls/{pull_number} 200 default",
}

func TestKnownBadExamples(t *testing.T) {
	t.Parallel()
	sp, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for path, item := range sp.doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, resp := range op.Responses.Map() {
				for _, mt := range resp.Value.Content {
					for name, ex := range mt.Examples {
						if mt.Schema.Value.VisitJSON(ex.Value.Value, openapi3.VisitAsResponse()) != nil {
							bad = append(bad, strings.Join([]string{method, sp.templates[path], status, name}, " "))
						}
					}
				}
			}
		}
	}
	slices.Sort(bad)
	if diff := cmp.Diff(knownBadExamples, bad); diff != "" {
		t.Errorf("examples that break their schema (-want +got):\n%s", diff)
	}
}

func TestInvalidResponseIsABug(t *testing.T) {
	t.Parallel()
	s := New(t)
	req := httptest.NewRequest(http.MethodGet, BasePath+"/repos/o/r", nil)
	route, params, err := s.spec.router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	ex := &exchange{req: req, path: "/repos/o/r", route: route, rawParams: params}
	if err := s.validateRequest(ex); err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	s.validateResponse(ex, http.StatusOK, h, []byte(`{"id":"one"}`))
	s.validateResponse(ex, http.StatusUnauthorized, h, []byte(`{"message":1}`))
	s.mu.Lock()
	bugs := s.bugs
	s.bugs = nil
	s.mu.Unlock()
	if len(bugs) != 2 || !strings.Contains(bugs[0], "full-repository") || !strings.Contains(bugs[1], "basic-error") {
		t.Errorf("bugs = %q, want one for the repository body and one for the error body", bugs)
	}
}
