package ghemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// GraphQL, as GitHub Enterprise Server serves it beside the REST API
// (https://HOST/api/graphql), goes through:
//  1. POST only, with an Authorization header like REST (401 otherwise).
//  2. A JSON body {"query", "variables", "operationName"}.
//  3. The document is parsed and validated against GitHub's published
//     schema (testdata/github/graphql) and the variables are checked
//     against their declared types. An invalid request answers GitHub's
//     {"errors":[{"message": ...}]} and records a violation, so the test
//     fails at cleanup unless it takes it with TakeViolations.
//  4. Fault rules whose PathPattern is GraphQLPath answer next.
//  5. The operation runs against the emulator's state. Fields the
//     emulator does not resolve answer an error and are reported as
//     emulator bugs; failures GitHub reports as data (a refused mutation)
//     are errors in the body with HTTP 200, as on GitHub.
//
// Calls records each request with Path GraphQLPath and Operation
// "graphql/" plus the root fields selected ("graphql/enablePullRequestAutoMerge");
// GraphQLCalls has the executed ones with their variables.

// GraphQLPath is where the emulator serves GraphQL.
const GraphQLPath = "/api/graphql"

// graphqlDocs is the documentation URL of GitHub's GraphQL errors.
const graphqlDocs = "https://docs.github.com/graphql"

// graphqlBody is a GraphQL request.
type graphqlBody struct {
	Query         *string        `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// gqlError is one entry of a GraphQL response's errors, as GitHub sends it.
type gqlError struct {
	Type       string              `json:"type,omitempty"`
	Path       ast.Path            `json:"path,omitempty"`
	Extensions map[string]any      `json:"extensions,omitempty"`
	Locations  []gqlerror.Location `json:"locations,omitempty"`
	Message    string              `json:"message"`
}

// gqlResponse is a GraphQL response body; Data is left out when the
// request did not get to execution.
type gqlResponse struct {
	Data   *fields    `json:"data,omitempty"`
	Errors []gqlError `json:"errors,omitempty"`
}

// handleGraphQL answers a request to GraphQLPath.
func (s *Server) handleGraphQL(ex *exchange) reply {
	ex.op = "graphql"
	if ex.req.Method != http.MethodPost {
		s.addViolation(ex, "GitHub's GraphQL API takes POST; got "+ex.req.Method)
		return notFound(graphqlDocs)
	}
	if rep, ok := s.authenticate(ex, graphqlDocs); !ok {
		return rep
	}
	schema, err := loadGraphQLSchema()
	if err != nil {
		s.addBug("POST %s: %v", GraphQLPath, err)
		return errorReply(http.StatusInternalServerError, "ghemu: "+err.Error(), graphqlDocs)
	}
	var body graphqlBody
	dec := json.NewDecoder(bytes.NewReader(ex.body))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		s.addViolation(ex, "the body is not JSON: "+err.Error())
		return errorReply(http.StatusBadRequest, "Problems parsing JSON", graphqlDocs)
	}
	if body.Query == nil || strings.TrimSpace(*body.Query) == "" {
		return s.invalidGraphQL(ex, gqlError{Message: "A query attribute must be specified and must be a string."})
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: *body.Query})
	if err != nil {
		return s.invalidGraphQL(ex, fromGQLErrors(err)...)
	}
	if errs := validator.Validate(schema, doc); len(errs) > 0 {
		return s.invalidGraphQL(ex, fromGQLErrors(errs)...)
	}
	op, err := pickOperation(doc, body.OperationName)
	if err != nil {
		return s.invalidGraphQL(ex, gqlError{Message: err.Error()})
	}
	roots := rootFields(op)
	ex.op = "graphql/" + strings.Join(roots, ",")
	vars, err := validator.VariableValues(schema, op, body.Variables)
	if err != nil {
		return s.invalidGraphQL(ex, fromGQLErrors(err)...)
	}
	if rep, ok := s.takeFault(ex, false); ok {
		ex.fault = true
		return rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := &executor{s: s, ex: ex, schema: schema, vars: vars}
	root := s.queryRoot()
	if op.Operation == ast.Mutation {
		root = s.mutationRoot(ex)
	}
	resp := gqlResponse{Data: e.selectionSet(op.SelectionSet, root, nil), Errors: e.errs}
	call := GraphQLCall{Kind: string(op.Operation), Name: op.Name, Fields: roots, Variables: vars, Token: ex.token}
	for _, ge := range e.errs {
		call.Errors = append(call.Errors, ge.Message)
	}
	s.graphql.calls = append(s.graphql.calls, call)
	return graphqlReply(resp)
}

// invalidGraphQL answers a request GitHub would reject before running it,
// with HTTP 200 as GitHub does, and records a violation.
func (s *Server) invalidGraphQL(ex *exchange, errs ...gqlError) reply {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Message
	}
	s.addViolation(ex, "invalid GraphQL request: "+strings.Join(msgs, "; "))
	return graphqlReply(gqlResponse{Errors: errs})
}

// graphqlReply answers 200 with the GraphQL rate limit's resource name.
func graphqlReply(resp gqlResponse) reply {
	rep := jsonReply(http.StatusOK, resp)
	rep.header = http.Header{"X-Ratelimit-Resource": {"graphql"}}
	return rep
}

// pickOperation chooses the operation to run, as GraphQL's
// GetOperation does.
func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name != "" {
		if op := doc.Operations.ForName(name); op != nil {
			return op, nil
		}
		return nil, fmt.Errorf("No operation named %q", name)
	}
	if len(doc.Operations) != 1 {
		return nil, errors.New("An operation name is required")
	}
	return doc.Operations[0], nil
}

// rootFields names the operation's top-level fields, for the call log.
func rootFields(op *ast.OperationDefinition) []string {
	set := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(ss ast.SelectionSet) {
		for _, sel := range ss {
			switch sel := sel.(type) {
			case *ast.Field:
				set[sel.Name] = true
			case *ast.InlineFragment:
				walk(sel.SelectionSet)
			case *ast.FragmentSpread:
				if sel.Definition != nil {
					walk(sel.Definition.SelectionSet)
				}
			}
		}
	}
	walk(op.SelectionSet)
	return slices.Sorted(maps.Keys(set))
}

// fromGQLErrors turns gqlparser's errors into GitHub's error entries.
func fromGQLErrors(err error) []gqlError {
	var list gqlerror.List
	var one *gqlerror.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = gqlerror.List{one}
	default:
		return []gqlError{{Message: err.Error()}}
	}
	out := make([]gqlError, len(list))
	for i, e := range list {
		out[i] = gqlError{Path: e.Path, Locations: e.Locations, Message: e.Message, Extensions: e.Extensions}
	}
	return out
}
