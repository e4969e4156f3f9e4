package ghemu

import "strconv"

// Values in GitHub's pull request example that renderPull replaces.
const (
	examplePullNumber = "/1347"
	examplePullSHA    = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
)

// renderPull is a pull-request as pulls/get answers it. computing reports
// mergeability as not yet computed.
func (s *Server) renderPull(r *repo, ps *pullState, computing bool) map[string]any {
	m := s.fromExample("pull-request", exampleAPIBase, s.URL(), exampleRepo, r.fullName(),
		examplePullNumber, "/"+strconv.Itoa(ps.Number), examplePullSHA, ps.HeadSHA)
	id := s.pullID(r, ps)
	m["id"], m["node_id"], m["number"] = id, nodeID("PullRequest", id), ps.Number
	m["state"], m["title"], m["body"], m["draft"], m["locked"] = ps.State, ps.Title, nil, ps.Draft, false
	m["user"] = s.renderUser(ps.User)
	m["author_association"] = "CONTRIBUTOR"
	if lower(ps.User) == lower(r.owner) {
		m["author_association"] = "OWNER"
	}
	m["created_at"], m["updated_at"] = timestamp(ps.created), timestamp(ps.created)
	m["closed_at"], m["merged_at"] = timestamp(ps.closed), timestamp(ps.merged)
	m["merge_commit_sha"] = nullable(ps.MergeCommitSHA)
	// GitHub's example requests a team without the required "type"; this
	// emulator's pull requests request no reviewers.
	m["labels"], m["milestone"], m["active_lock_reason"] = []any{}, nil, nil
	m["assignee"], m["assignees"] = nil, []any{}
	m["requested_reviewers"], m["requested_teams"] = []any{}, []any{}
	m["auto_merge"] = nil
	m["head"] = s.renderBranch(s.headRepo(r, ps), ps.HeadRef, ps.HeadSHA)
	m["base"] = s.renderBranch(r, ps.BaseRef, ps.BaseSHA)

	var mergeable any = nil
	state := "unknown"
	if !computing && !ps.Merged && ps.State == "open" && ps.Mergeable != nil {
		mergeable, state = *ps.Mergeable, ps.mergeableState()
	}
	m["mergeable"], m["rebaseable"], m["mergeable_state"] = mergeable, mergeable, state
	m["merged"], m["merged_by"] = ps.Merged, nil
	if ps.Merged {
		m["merged_by"] = s.renderUser("github-actions[bot]")
	}
	m["comments"], m["review_comments"], m["commits"] = 0, 0, 1
	m["maintainer_can_modify"] = ps.fromFork(r)
	return m
}

// renderBranch is a pull request's head or base.
func (s *Server) renderBranch(r *repo, ref, sha string) map[string]any {
	return map[string]any{
		"label": r.owner + ":" + ref, "ref": ref, "sha": sha,
		"user": s.renderUser(r.owner), "repo": s.renderRepo(r),
	}
}

// headRepo is the repository of the head: the base one, a registered fork,
// or a fork made up on the spot.
func (s *Server) headRepo(r *repo, ps *pullState) *repo {
	if !ps.fromFork(r) {
		return r
	}
	if fork, ok := s.repos[lower(ps.headOwner+"/"+ps.headName)]; ok {
		return fork
	}
	full := ps.headOwner + "/" + ps.headName
	return &repo{id: stableID(full), owner: ps.headOwner, name: ps.headName, defaultBranch: "main"}
}

func (s *Server) pullID(r *repo, ps *pullState) int64 {
	return r.id*10000 + int64(ps.Number)
}

// minimalPulls lists, as pull-request-minimal, the open pull requests whose
// head is sha in the same repository: GitHub leaves pull requests from forks
// out of a check run's pull_requests.
func (s *Server) minimalPulls(r *repo, sha string) []any {
	out := []any{}
	for _, ps := range r.sortedPulls() {
		if ps.State != "open" || ps.HeadSHA != sha || ps.fromFork(r) {
			continue
		}
		repoRef := map[string]any{"id": r.id, "url": s.URL() + "/repos/" + r.fullName(), "name": r.name}
		out = append(out, map[string]any{
			"url":    s.URL() + "/repos/" + r.fullName() + "/pulls/" + strconv.Itoa(ps.Number),
			"id":     s.pullID(r, ps),
			"number": ps.Number,
			"head":   map[string]any{"ref": ps.HeadRef, "sha": ps.HeadSHA, "repo": repoRef},
			"base":   map[string]any{"ref": ps.BaseRef, "sha": ps.BaseSHA, "repo": repoRef},
		})
	}
	return out
}
