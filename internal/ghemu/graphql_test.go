package ghemu_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/ghemu"
)

// gqlAnswer is a decoded GraphQL response.
type gqlAnswer struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Path    []any  `json:"path"`
	} `json:"errors"`
}

// graphqlURL is where the emulator serves GraphQL.
func graphqlURL(srv *ghemu.Server) string {
	return strings.TrimSuffix(srv.URL(), ghemu.BasePath) + ghemu.GraphQLPath
}

// gql posts a GraphQL request with token and decodes the answer.
func gql(t *testing.T, srv *ghemu.Server, token, query string, vars map[string]any) (int, gqlAnswer) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, srv, http.MethodPost, graphqlURL(srv), "Bearer "+token, string(b))
	var a gqlAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("GraphQL answer is not JSON: %v\n%s", err, body)
	}
	return resp.StatusCode, a
}

// enableMutation is the document shipgate sends.
const enableMutation = `mutation($id: ID!, $method: PullRequestMergeMethod!, $head: GitObjectID!) {
  enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $method, expectedHeadOid: $head}) {
    pullRequest { autoMergeRequest { enabledAt mergeMethod } }
  }
}`

func TestGraphQLRejectsInvalidRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, body string
		status             int
		message, reason    string
	}{
		{name: "unknown field", body: `{"query":"{ repository(owner: \"o\", name: \"r\") { pullRequest(number: 1) { headSha } } }"}`,
			status: 200, message: `Cannot query field "headSha" on type "PullRequest".`, reason: "headSha"},
		{name: "wrong enum value in a variable",
			body:   `{"query":` + quoteJSON(enableMutation) + `,"variables":{"id":"x","method":"FAST","head":"` + headSHA + `"}}`,
			status: 200, message: "FAST is not a valid PullRequestMergeMethod", reason: "FAST"},
		{name: "required variable missing", body: `{"query":` + quoteJSON(enableMutation) + `,"variables":{"method":"MERGE","head":"` + headSHA + `"}}`,
			status: 200, message: "must be defined", reason: "must be defined"},
		{name: "unknown argument", body: `{"query":"{ repository(owner: \"o\", name: \"r\", id: 1) { id } }"}`,
			status: 200, message: `Unknown argument "id" on field "Query.repository".`, reason: "Unknown argument"},
		{name: "syntax error", body: `{"query":"{ repository(owner: \"o\" { id } }"}`, status: 200, message: "Expected", reason: "Expected"},
		{name: "no query", body: `{"variables":{}}`, status: 200, message: "A query attribute must be specified", reason: "query attribute"},
		{name: "two operations without a name", body: `{"query":"query A { viewer { login } } query B { viewer { login } }"}`,
			status: 200, message: "An operation name is required", reason: "operation name"},
		{name: "not JSON", body: `{`, status: 400, message: "Problems parsing JSON", reason: "not JSON"},
		{name: "GET", method: http.MethodGet, status: 404, message: "Not Found", reason: "takes POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghemu.New(t)
			srv.AddPull(testRepo, ghemu.Pull{Number: 1})
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			resp, body := do(t, srv, method, graphqlURL(srv), "Bearer "+srv.Token(), tt.body)
			var a struct {
				Message string `json:"message"`
				Errors  []struct {
					Message string `json:"message"`
				} `json:"errors"`
			}
			if err := json.Unmarshal([]byte(body), &a); err != nil {
				t.Fatalf("answer is not JSON: %v\n%s", err, body)
			}
			msgs := []string{a.Message}
			for _, e := range a.Errors {
				msgs = append(msgs, e.Message)
			}
			if resp.StatusCode != tt.status || !strings.Contains(strings.Join(msgs, "\n"), tt.message) {
				t.Errorf("answer %d %s, want %d with %q", resp.StatusCode, body, tt.status, tt.message)
			}
			if strings.Contains(body, `"data"`) {
				t.Errorf("an invalid request got data: %s", body)
			}
			v := srv.TakeViolations()
			if len(v) != 1 || !strings.Contains(v[0].Reason, tt.reason) || v[0].Path != ghemu.GraphQLPath {
				t.Errorf("violations = %v, want one at %s naming %q", v, ghemu.GraphQLPath, tt.reason)
			}
			if len(srv.GraphQLCalls()) != 0 {
				t.Errorf("an invalid request was executed: %+v", srv.GraphQLCalls())
			}
		})
	}
}

func TestGraphQLAuth(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	for auth, want := range map[string]string{"": "Requires authentication", "Bearer nope": "Bad credentials"} {
		resp, body := do(t, srv, http.MethodPost, graphqlURL(srv), auth, `{"query":"{ viewer { login } }"}`)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, want) {
			t.Errorf("Authorization %q: %d %s, want 401 %q", auth, resp.StatusCode, body, want)
		}
	}
}

func TestGraphQLQueryAgreesWithREST(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddPull(testRepo, ghemu.Pull{Number: 4, HeadSHA: headSHA, Mergeable: github.Bool(true), MergeableState: "blocked"})
	pr, _, err := newClient(t, srv).PullRequests.Get(t.Context(), testOwner, testName, 4)
	if err != nil {
		t.Fatal(err)
	}
	query := `query Pull($owner: String!, $name: String!, $n: Int!) {
  repository(owner: $owner, name: $name) {
    autoMergeAllowed
    pr: pullRequest(number: $n) { __typename ...P number mergeable }
  }
}
fragment P on PullRequest { id headRefOid mergeStateStatus autoMergeRequest { mergeMethod } }`
	status, a := gql(t, srv, srv.Token(), query, map[string]any{"owner": testOwner, "name": testName, "n": 4})
	if status != http.StatusOK || len(a.Errors) > 0 {
		t.Fatalf("answer %d, errors %+v", status, a.Errors)
	}
	// The keys follow the selections, as GitHub's do.
	want := `{"repository":{"autoMergeAllowed":false,"pr":{"__typename":"PullRequest","id":"` + pr.GetNodeID() +
		`","headRefOid":"` + headSHA + `","mergeStateStatus":"BLOCKED","autoMergeRequest":null,"number":4,"mergeable":"MERGEABLE"}}}`
	if diff := cmp.Diff(want, string(a.Data)); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	status, a = gql(t, srv, srv.Token(), `{ repository(owner: "octo-org", name: "nope") { id } }`, nil)
	if status != http.StatusOK || len(a.Errors) != 1 || a.Errors[0].Type != "NOT_FOUND" || string(a.Data) != `{"repository":null}` {
		t.Errorf("unknown repository: %d %s %+v, want NOT_FOUND and null data", status, a.Data, a.Errors)
	}
}

func TestGraphQLFieldNotEmulatedIsABug(t *testing.T) {
	t.Parallel()
	rec := &recorder{TB: t}
	srv := ghemu.New(rec)
	srv.AddPull(testRepo, ghemu.Pull{Number: 1})
	_, a := gql(t, srv, srv.Token(), `{ repository(owner: "octo-org", name: "octo-repo") { pullRequest(number: 1) { bodyHTML } } }`, nil)
	if len(a.Errors) != 1 || !strings.Contains(a.Errors[0].Message, "PullRequest.bodyHTML") {
		t.Errorf("errors = %+v, want one naming PullRequest.bodyHTML", a.Errors)
	}
	rec.cleanup()
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "PullRequest.bodyHTML is valid but not emulated") {
		t.Errorf("cleanup reported %q, want the field as an emulator bug", rec.errors)
	}
}

func TestGraphQLFaults(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(testRepo)
	srv.Fail(ghemu.ServerError(http.MethodPost, ghemu.GraphQLPath, 1))
	query := `{ repository(owner: "octo-org", name: "octo-repo") { nameWithOwner } }`
	if status, _ := gql(t, srv, srv.Token(), query, nil); status != http.StatusBadGateway {
		t.Errorf("first request: %d, want the injected 502", status)
	}
	if status, a := gql(t, srv, srv.Token(), query, nil); status != http.StatusOK || string(a.Data) != `{"repository":{"nameWithOwner":"octo-org/octo-repo"}}` {
		t.Errorf("second request: %d %s, want 200 with the repository", status, a.Data)
	}
	var ops []string
	for _, c := range srv.Calls() {
		ops = append(ops, c.Operation)
	}
	if diff := cmp.Diff([]string{"graphql/repository", "graphql/repository"}, ops); diff != "" {
		t.Errorf("call operations (-want +got):\n%s", diff)
	}
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
