package ghemu

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Comment is an issue comment on a pull request, as the emulator stores it.
type Comment struct {
	ID     int64
	Repo   string // owner/name
	Number int    // the pull request
	Body   string
	// User is the author's login: github-actions[bot] for the token.
	User      string
	CreatedAt time.Time
}

// firstCommentID is above 2^31 like GitHub's comment IDs.
const firstCommentID int64 = 2600000001

// Comments returns the comments on pull request number of repo
// ("owner/name"), oldest first.
func (s *Server) Comments(repo string, number int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if lower(c.Repo) == lower(repo) && c.Number == number {
			out = append(out, c)
		}
	}
	return out
}

// createComment emulates issues/create-comment on a pull request (every pull
// request is an issue); an issue number the emulator does not know as a pull
// request answers 404.
func (s *Server) createComment(ex *exchange) reply {
	r, ok := s.repoOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	n, err := strconv.Atoi(ex.params["issue_number"])
	if err != nil || r.pulls[n] == nil {
		return notFound(ex.docURL())
	}
	var b struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(ex.body, &b); err != nil {
		return invalidRequest(ex.docURL(), err.Error())
	}
	c := Comment{
		ID: firstCommentID + int64(len(s.comments)), Repo: r.fullName(), Number: n,
		Body: b.Body, User: "github-actions[bot]", CreatedAt: s.now(),
	}
	s.comments = append(s.comments, c)
	rep := jsonReply(http.StatusCreated, s.renderComment(r, c))
	rep.header = http.Header{"Location": {s.commentURL(r, c)}}
	return rep
}

func (s *Server) commentURL(r *repo, c Comment) string {
	return s.URL() + "/repos/" + r.fullName() + "/issues/comments/" + strconv.FormatInt(c.ID, 10)
}

// renderComment is an issue-comment as GitHub answers it.
func (s *Server) renderComment(r *repo, c Comment) map[string]any {
	m := s.fromExample("issue-comment", exampleAPIBase, s.URL(), exampleRepo, r.fullName())
	id := strconv.FormatInt(c.ID, 10)
	num := strconv.Itoa(c.Number)
	m["id"], m["node_id"], m["body"] = c.ID, nodeID("IssueComment", c.ID), c.Body
	m["url"] = s.commentURL(r, c)
	m["html_url"] = "https://github.com/" + r.fullName() + "/pull/" + num + "#issuecomment-" + id
	m["issue_url"] = s.URL() + "/repos/" + r.fullName() + "/issues/" + num
	m["user"] = s.actionsBot()
	m["author_association"] = "NONE"
	m["created_at"], m["updated_at"] = timestamp(c.CreatedAt), timestamp(c.CreatedAt)
	m["performed_via_github_app"] = s.actionsApp()
	return m
}
