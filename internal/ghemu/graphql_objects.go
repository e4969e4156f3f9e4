package ghemu

import (
	"fmt"
	"strings"
)

// The GraphQL objects the emulator resolves, from the same state as REST.
// A field the schema has and these lack answers an error and is reported
// as an emulator bug; add it here.

// queryRoot is the Query type: repository(owner, name) and node(id) for
// pull requests.
func (s *Server) queryRoot() *object {
	return &object{typename: "Query", fields: map[string]resolver{
		"repository": func(args map[string]any) (any, *gqlError) {
			owner, name := str(args["owner"]), str(args["name"])
			r, ok := s.repos[lower(owner+"/"+name)]
			if !ok {
				return nil, notFoundGQL(fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, name))
			}
			return s.repositoryObject(r), nil
		},
		"node": func(args map[string]any) (any, *gqlError) {
			id := str(args["id"])
			r, ps := s.pullByNodeID(id)
			if ps == nil {
				return nil, notFoundGQL(fmt.Sprintf("Could not resolve to a node with the global id of '%s'", id))
			}
			return s.pullObject(r, ps), nil
		},
	}}
}

// repositoryObject is a Repository.
func (s *Server) repositoryObject(r *repo) *object {
	return &object{typename: "Repository", fields: map[string]resolver{
		"id":               val(nodeID("Repository", r.id)),
		"databaseId":       val(r.id),
		"name":             val(r.name),
		"nameWithOwner":    val(r.fullName()),
		"url":              val("https://github.com/" + r.fullName()),
		"autoMergeAllowed": val(s.graphql.allowAutoMerge[lower(r.fullName())]),
		"pullRequest": func(args map[string]any) (any, *gqlError) {
			n, _ := args["number"].(int64)
			ps := r.pulls[int(n)]
			if ps == nil {
				return nil, notFoundGQL(fmt.Sprintf("Could not resolve to a PullRequest with the number of %d.", n))
			}
			return s.pullObject(r, ps), nil
		},
	}}
}

// pullObject is a PullRequest.
func (s *Server) pullObject(r *repo, ps *pullState) *object {
	state := "OPEN"
	switch {
	case ps.Merged:
		state = "MERGED"
	case ps.State == "closed":
		state = "CLOSED"
	}
	mergeable := "UNKNOWN"
	if ps.Mergeable != nil {
		mergeable = map[bool]string{true: "MERGEABLE", false: "CONFLICTING"}[*ps.Mergeable]
	}
	var autoMerge any
	if am := s.graphql.autoMerges[pullKey(r, ps.Number)]; am != nil {
		autoMerge = s.autoMergeObject(r, ps, am)
	}
	return &object{typename: "PullRequest", fields: map[string]resolver{
		"id":               val(nodeID("PullRequest", s.pullID(r, ps))),
		"databaseId":       val(s.pullID(r, ps)),
		"number":           val(ps.Number),
		"title":            val(ps.Title),
		"url":              val(fmt.Sprintf("https://github.com/%s/pull/%d", r.fullName(), ps.Number)),
		"state":            val(state),
		"closed":           val(ps.State == "closed"),
		"isDraft":          val(ps.Draft),
		"merged":           val(ps.Merged),
		"mergedAt":         val(timestamp(ps.merged)),
		"headRefName":      val(ps.HeadRef),
		"headRefOid":       val(ps.HeadSHA),
		"baseRefName":      val(ps.BaseRef),
		"baseRefOid":       val(ps.BaseSHA),
		"mergeable":        val(mergeable),
		"mergeStateStatus": val(strings.ToUpper(ps.mergeableState())),
		"autoMergeRequest": val(autoMerge),
		"repository":       func(map[string]any) (any, *gqlError) { return s.repositoryObject(r), nil },
	}}
}

// autoMergeObject is an AutoMergeRequest.
func (s *Server) autoMergeObject(r *repo, ps *pullState, am *AutoMerge) *object {
	return &object{typename: "AutoMergeRequest", fields: map[string]resolver{
		"enabledAt":      val(timestamp(am.EnabledAt)),
		"mergeMethod":    val(am.Method),
		"commitHeadline": val(nullable(am.CommitHeadline)),
		"commitBody":     val(nullable(am.CommitBody)),
		"authorEmail":    val(nullable(am.AuthorEmail)),
		"enabledBy":      val(s.actorObject(am.Token)),
		"pullRequest":    func(map[string]any) (any, *gqlError) { return s.pullObject(r, ps), nil },
	}}
}

// actorObject is who a token acts as: the GITHUB_TOKEN is the
// github-actions bot; an extra token (an App token or PAT) is a user.
func (s *Server) actorObject(token string) *object {
	typ, login := "Bot", "github-actions"
	if token != s.cfg.token {
		typ, login = "User", "octocat"
	}
	return &object{typename: typ, fields: map[string]resolver{
		"login": val(login),
		"url":   val("https://github.com/" + login),
	}}
}

// pullByNodeID finds the pull request whose node_id is id.
func (s *Server) pullByNodeID(id string) (*repo, *pullState) {
	for _, r := range s.repos {
		for _, ps := range r.pulls {
			if nodeID("PullRequest", s.pullID(r, ps)) == id {
				return r, ps
			}
		}
	}
	return nil, nil
}

func notFoundGQL(msg string) *gqlError {
	return &gqlError{Type: "NOT_FOUND", Message: msg}
}

// str is a string argument; absent or null is "".
func str(v any) string {
	s, _ := v.(string)
	return s
}
