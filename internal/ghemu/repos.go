package ghemu

import (
	"fmt"
	"net/http"
	"strings"
)

// repo is a repository the emulator knows.
type repo struct {
	id            int64
	owner, name   string
	defaultBranch string
	pulls         map[int]*pullState
}

func (r *repo) fullName() string { return r.owner + "/" + r.name }

// AddRepo registers a repository ("owner/name") with default branch main.
// Adding one twice is a no-op. Requests for unknown repositories answer 404
// as GitHub does.
func (s *Server) AddRepo(fullName string) {
	s.t.Helper()
	owner, name, err := splitRepo(fullName)
	if err != nil {
		s.t.Fatalf("ghemu: AddRepo: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addRepoLocked(owner, name)
}

func (s *Server) addRepoLocked(owner, name string) *repo {
	key := lower(owner + "/" + name)
	if r, ok := s.repos[key]; ok {
		return r
	}
	r := &repo{
		id: 700000001 + int64(len(s.repos)), owner: owner, name: name,
		defaultBranch: "main", pulls: map[int]*pullState{},
	}
	s.repos[key] = r
	return r
}

// splitRepo parses "owner/name".
func splitRepo(fullName string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("repository %q is not owner/name, e.g. octo-org/octo-repo", fullName)
	}
	return owner, name, nil
}

// repoOf finds the repository named by the {owner} and {repo} parameters;
// GitHub matches them case-insensitively.
func (s *Server) repoOf(ex *exchange) (*repo, bool) {
	r, ok := s.repos[lower(ex.params["owner"]+"/"+ex.params["repo"])]
	return r, ok
}

// getRepo emulates repos/get.
func (s *Server) getRepo(ex *exchange) reply {
	r, ok := s.repoOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	return jsonReply(http.StatusOK, s.renderFullRepo(r))
}

// quote wraps s in double quotes, for JSON text replacements.
func quote(s string) string { return `"` + s + `"` }

// lower is the key of a repository: GitHub matches names case-insensitively.
func lower(s string) string { return strings.ToLower(s) }
