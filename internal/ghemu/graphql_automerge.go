package ghemu

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// graphqlState is what the GraphQL side keeps beyond the REST state.
type graphqlState struct {
	// allowAutoMerge is each repository's "Allow auto-merge" setting, by
	// lower(owner/name); off unless set, as on GitHub.
	allowAutoMerge map[string]bool
	// autoMerges are the enabled auto-merge requests, by pullKey.
	autoMerges map[string]*AutoMerge
	calls      []GraphQLCall
}

// AutoMerge is a pull request's auto-merge request, as
// enablePullRequestAutoMerge left it.
type AutoMerge struct {
	EnabledAt time.Time
	// Method is MERGE, SQUASH or REBASE.
	Method string
	// ExpectedHeadOID is the expectedHeadOid the request carried; empty
	// when it carried none.
	ExpectedHeadOID string
	CommitHeadline  string
	CommitBody      string
	AuthorEmail     string
	// Token is the token of the request that enabled it.
	Token string
}

// GraphQLCall is one GraphQL request that passed validation.
type GraphQLCall struct {
	// Kind is "query" or "mutation".
	Kind string
	// Name is the operation's name, empty for an anonymous one.
	Name string
	// Fields are the root fields selected, sorted.
	Fields []string
	// Variables are the variables after coercion to their declared types.
	Variables map[string]any
	Token     string
	// Errors are the messages of the errors answered, if any.
	Errors []string
}

// AllowAutoMerge sets a repository's "Allow auto-merge" setting
// (allow_auto_merge), adding the repository if needed. It is off until set,
// as on GitHub.
func (s *Server) AllowAutoMerge(repo string, allow bool) {
	s.t.Helper()
	owner, name, err := splitRepo(repo)
	if err != nil {
		s.t.Fatalf("ghemu: AllowAutoMerge: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.addRepoLocked(owner, name)
	if s.graphql.allowAutoMerge == nil {
		s.graphql.allowAutoMerge = map[string]bool{}
	}
	s.graphql.allowAutoMerge[lower(r.fullName())] = allow
}

// AutoMerge returns a pull request's auto-merge request, if one was enabled.
func (s *Server) AutoMerge(repo string, number int) (AutoMerge, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[lower(repo)]
	if !ok {
		return AutoMerge{}, false
	}
	am := s.graphql.autoMerges[pullKey(r, number)]
	if am == nil {
		return AutoMerge{}, false
	}
	return *am, true
}

// GraphQLCalls returns the valid GraphQL requests answered so far, in order.
func (s *Server) GraphQLCalls() []GraphQLCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.graphql.calls)
	for i := range out {
		out[i].Variables = maps.Clone(out[i].Variables)
	}
	return out
}

// mutationRoot is the Mutation type; ex is the request, for its token.
func (s *Server) mutationRoot(ex *exchange) *object {
	return &object{typename: "Mutation", fields: map[string]resolver{
		"enablePullRequestAutoMerge": func(args map[string]any) (any, *gqlError) {
			input, _ := args["input"].(map[string]any)
			return s.enableAutoMerge(ex, input)
		},
	}}
}

// enableAutoMerge emulates enablePullRequestAutoMerge. GitHub's refusals,
// checked in this order, with the messages GitHub sends (type
// UNPROCESSABLE unless said):
//   - a read-only token: FORBIDDEN "Resource not accessible by integration";
//   - an unknown pullRequestId: NOT_FOUND "Could not resolve to a node with
//     the global id of 'ID'";
//   - "Allow auto-merge" off: "Auto merge is not allowed for this
//     repository";
//   - closed or merged: "Pull request Pull request is closed";
//   - a draft: "Pull request Pull request is still a draft" (wording
//     inferred from REST's "Pull Request is still a draft");
//   - expectedHeadOid not the head: "Head branch was modified. Review and
//     try the merge again." (the wording mergePullRequest uses);
//   - nothing to wait for, merge state clean, unstable or has_hooks:
//     "Pull request Pull request is in clean status" (unstable, has_hooks).
//
// Otherwise (blocked, behind, unknown, dirty) the request is stored and
// the payload answered; enabling again replaces it, as on GitHub.
func (s *Server) enableAutoMerge(ex *exchange, in map[string]any) (any, *gqlError) {
	if s.cfg.readOnly && ex.token == s.cfg.token {
		return nil, &gqlError{Type: "FORBIDDEN", Message: msgNotAccessible}
	}
	id := str(in["pullRequestId"])
	r, ps := s.pullByNodeID(id)
	if ps == nil {
		return nil, notFoundGQL(fmt.Sprintf("Could not resolve to a node with the global id of '%s'", id))
	}
	method := str(in["mergeMethod"])
	if method == "" {
		method = "MERGE"
	}
	expected := str(in["expectedHeadOid"])
	state := ps.mergeableState()
	switch {
	case !s.graphql.allowAutoMerge[lower(r.fullName())]:
		return nil, unprocessable("Auto merge is not allowed for this repository")
	case ps.State != "open" || ps.Merged:
		return nil, unprocessable("Pull request Pull request is closed")
	case ps.Draft:
		return nil, unprocessable("Pull request Pull request is still a draft")
	case expected != "" && expected != ps.HeadSHA:
		return nil, unprocessable("Head branch was modified. Review and try the merge again.")
	case state == "clean" || state == "unstable" || state == "has_hooks":
		return nil, unprocessable("Pull request Pull request is in " + state + " status")
	}
	am := &AutoMerge{
		EnabledAt: s.now(), Method: method, ExpectedHeadOID: expected, Token: ex.token,
		CommitHeadline: str(in["commitHeadline"]), CommitBody: str(in["commitBody"]), AuthorEmail: str(in["authorEmail"]),
	}
	if s.graphql.autoMerges == nil {
		s.graphql.autoMerges = map[string]*AutoMerge{}
	}
	s.graphql.autoMerges[pullKey(r, ps.Number)] = am
	return &object{typename: "EnablePullRequestAutoMergePayload", fields: map[string]resolver{
		"clientMutationId": val(in["clientMutationId"]),
		"pullRequest":      val(s.pullObject(r, ps)),
		"actor":            val(s.actorObject(ex.token)),
	}}, nil
}

func unprocessable(msg string) *gqlError {
	return &gqlError{Type: "UNPROCESSABLE", Message: msg}
}

// pullKey names a pull request in graphqlState.
func pullKey(r *repo, number int) string {
	return lower(r.fullName()) + "#" + strconv.Itoa(number)
}
