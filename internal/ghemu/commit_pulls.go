package ghemu

import (
	"net/http"
	"slices"
)

// listPullsForCommit emulates repos/list-pull-requests-associated-with-commit.
// A pull request is associated with a commit that is its HeadSHA, its
// MergeCommitSHA or one of its Commits. As on GitHub, a commit on the
// default branch (the merge commit of a pull request merged into it) lists
// only the merged pull requests that brought it there; any other commit
// lists its open and merged pull requests. The commit_sha parameter may also
// name a branch: the open and merged pull requests with that head. The
// emulator knows no commits beyond its pull requests, so an unknown SHA
// lists none; an unknown branch answers GitHub's 422.
func (s *Server) listPullsForCommit(ex *exchange) reply {
	r, ok := s.repoOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	ref := ex.params["commit_sha"]
	var found []*pullState
	for _, ps := range r.sortedPulls() {
		switch {
		case ps.State == "closed" && !ps.Merged:
		case !hexSHA.MatchString(ref) && ps.HeadRef == ref:
			found = append(found, ps)
		case ps.HeadSHA == ref || ps.MergeCommitSHA == ref || slices.Contains(ps.Commits, ref):
			found = append(found, ps)
		}
	}
	if len(found) == 0 && !hexSHA.MatchString(ref) {
		return errorReply(http.StatusUnprocessableEntity, "No commit found for SHA: "+ref, ex.docURL())
	}
	onDefault := func(ps *pullState) bool {
		return ps.Merged && ps.BaseRef == r.defaultBranch && ps.MergeCommitSHA == ref
	}
	if slices.ContainsFunc(found, onDefault) {
		found = slices.DeleteFunc(found, func(ps *pullState) bool { return !onDefault(ps) })
	}
	perPage, page := pageOf(ex.req.URL.Query())
	lo, hi := pageBounds(len(found), perPage, page)
	items := make([]any, 0, hi-lo)
	for _, ps := range found[lo:hi] {
		items = append(items, s.project(s.renderPull(r, ps, false), "pull-request-simple"))
	}
	rep := jsonReply(http.StatusOK, items)
	rep.header = s.linkHeader(ex, len(found), perPage, page)
	return rep
}
