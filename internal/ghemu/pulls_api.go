package ghemu

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// pullOf finds the pull request named by {owner}, {repo} and {pull_number}.
func (s *Server) pullOf(ex *exchange) (*repo, *pullState, bool) {
	r, ok := s.repoOf(ex)
	if !ok {
		return nil, nil, false
	}
	n, err := strconv.Atoi(ex.params["pull_number"])
	if err != nil || r.pulls[n] == nil {
		return nil, nil, false
	}
	return r, r.pulls[n], true
}

// getPull emulates pulls/get, including mergeability still being computed.
func (s *Server) getPull(ex *exchange) reply {
	r, ps, ok := s.pullOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	ps.gets++
	return jsonReply(http.StatusOK, s.renderPull(r, ps, ps.gets <= ps.MergeableNullFor))
}

// listPulls emulates pulls/list: state, base and head filters, sorting by
// creation (pull request number), pagination with a Link header.
func (s *Server) listPulls(ex *exchange) reply {
	r, ok := s.repoOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	q := ex.req.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var pulls []*pullState
	for _, ps := range r.sortedPulls() {
		switch {
		case state != "all" && ps.State != state:
		case q.Has("base") && ps.BaseRef != q.Get("base"):
		case q.Has("head") && !headMatches(ps, q.Get("head")):
		default:
			pulls = append(pulls, ps)
		}
	}
	// GitHub's default direction is desc for sort=created, asc otherwise.
	desc := q.Get("direction") == "desc" || (q.Get("direction") == "" && (q.Get("sort") == "" || q.Get("sort") == "created"))
	if desc {
		slices.Reverse(pulls)
	}
	perPage, page := pageOf(q)
	lo, hi := pageBounds(len(pulls), perPage, page)
	items := make([]any, 0, hi-lo)
	for _, ps := range pulls[lo:hi] {
		items = append(items, s.project(s.renderPull(r, ps, false), "pull-request-simple"))
	}
	rep := jsonReply(http.StatusOK, items)
	rep.header = s.linkHeader(ex, len(pulls), perPage, page)
	return rep
}

// headMatches applies pulls/list's head filter, "user:ref-name".
func headMatches(ps *pullState, head string) bool {
	owner, ref, ok := strings.Cut(head, ":")
	if !ok {
		return ps.HeadRef == head
	}
	return strings.EqualFold(owner, ps.headOwner) && ps.HeadRef == ref
}

// mergePull emulates pulls/merge: 405 unless open and mergeable, 409 when
// sha is given and is not the head.
func (s *Server) mergePull(ex *exchange) reply {
	r, ps, ok := s.pullOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	var b struct {
		CommitTitle   string `json:"commit_title"`
		CommitMessage string `json:"commit_message"`
		SHA           string `json:"sha"`
		MergeMethod   string `json:"merge_method"`
	}
	if len(ex.body) > 0 {
		if err := json.Unmarshal(ex.body, &b); err != nil {
			return invalidRequest(ex.docURL(), err.Error())
		}
	}
	if b.MergeMethod == "" {
		b.MergeMethod = "merge"
	}
	switch {
	case ps.State != "open" || ps.Draft || (ps.Mergeable != nil && !*ps.Mergeable):
		return errorReply(http.StatusMethodNotAllowed, "Pull Request is not mergeable", ex.docURL())
	case b.SHA != "" && b.SHA != ps.HeadSHA:
		return errorReply(http.StatusConflict, "Head branch was modified. Review and try the merge again.", ex.docURL())
	}
	now := s.now()
	ps.Merged, ps.State, ps.merged, ps.closed = true, "closed", now, now
	ps.MergeCommitSHA = fakeSHA("merge", r.fullName(), ps.Number, ps.HeadSHA, b.MergeMethod)
	s.merges = append(s.merges, Merge{
		Repo: r.fullName(), Number: ps.Number, HeadSHA: ps.HeadSHA, Method: b.MergeMethod,
		CommitTitle: b.CommitTitle, CommitMessage: b.CommitMessage, MergeCommitSHA: ps.MergeCommitSHA,
	})
	return jsonReply(http.StatusOK, map[string]any{
		"sha": ps.MergeCommitSHA, "merged": true, "message": "Pull Request successfully merged",
	})
}
