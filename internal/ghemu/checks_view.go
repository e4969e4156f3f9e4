package ghemu

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// renderCheckRun is a check-run as GitHub answers it, created by the GitHub
// Actions app like runs made with a GITHUB_TOKEN.
func (s *Server) renderCheckRun(r *repo, cr *checkRun) map[string]any {
	m := s.fromExample("check-run", exampleAPIBase, s.URL(), "github/hello-world", r.fullName())
	id := strconv.FormatInt(cr.ID, 10)
	apiURL := s.URL() + "/repos/" + r.fullName() + "/check-runs/" + id
	htmlURL := "https://github.com/" + r.fullName() + "/runs/" + id
	details := cr.DetailsURL
	if details == "" {
		details = htmlURL
	}
	m["id"], m["node_id"], m["name"] = cr.ID, nodeID("CheckRun", cr.ID), cr.Name
	m["head_sha"], m["external_id"] = cr.HeadSHA, cr.ExternalID
	m["url"], m["html_url"], m["details_url"] = apiURL, htmlURL, details
	m["status"], m["conclusion"] = cr.Status, nullable(cr.Conclusion)
	m["started_at"], m["completed_at"] = timestamp(cr.StartedAt), timestamp(cr.CompletedAt)
	m["output"] = map[string]any{
		"title": nullable(cr.Title), "summary": nullable(cr.Summary), "text": nullable(cr.Text),
		"annotations_count": len(cr.Annotations), "annotations_url": apiURL + "/annotations",
	}
	m["check_suite"] = map[string]any{"id": cr.suiteID}
	m["app"] = s.githubActionsApp(m["app"].(map[string]any))
	m["pull_requests"] = s.minimalPulls(r, cr.HeadSHA)
	delete(m, "deployment")
	return m
}

// githubActionsApp turns the example's app into the GitHub Actions app.
func (s *Server) githubActionsApp(app map[string]any) map[string]any {
	owner := s.renderUser("github")
	owner["id"], owner["node_id"], owner["type"] = 9919, "MDEyOk9yZ2FuaXphdGlvbjk5MTk=", "Organization"
	app["id"], app["slug"], app["node_id"] = 15368, "github-actions", "MDM6QXBwMTUzNjg="
	app["name"], app["description"] = "GitHub Actions", "Automate your workflow from idea to production"
	app["external_url"], app["html_url"] = "https://help.github.com/en/actions", "https://github.com/apps/github-actions"
	app["created_at"], app["updated_at"] = "2018-07-30T09:30:17Z", "2019-12-10T19:04:12Z"
	app["owner"] = owner
	return app
}

var hexSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// listCheckRunsForRef emulates checks/list-for-ref.
func (s *Server) listCheckRunsForRef(ex *exchange) reply {
	r, ok := s.repoOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	ref := ex.params["ref"]
	sha, ok := s.resolveRef(r, ref)
	if !ok {
		return errorReply(http.StatusUnprocessableEntity, "No commit found for SHA: "+ref, ex.docURL())
	}
	q := ex.req.URL.Query()
	latest := q.Get("filter") != "all"
	seen := map[string]bool{}
	var runs []*checkRun
	for _, cr := range slices.Backward(s.checkRuns) { // most recent first
		switch {
		case cr.Repo != r.fullName() || cr.HeadSHA != sha:
		case q.Has("check_name") && cr.Name != q.Get("check_name"):
		case q.Has("status") && cr.Status != q.Get("status"):
		case q.Has("app_id") && q.Get("app_id") != "15368":
		case latest && seen[cr.Name]:
		default:
			seen[cr.Name] = true
			runs = append(runs, cr)
		}
	}
	perPage, page := pageOf(q)
	lo, hi := pageBounds(len(runs), perPage, page)
	items := make([]any, 0, hi-lo)
	for _, cr := range runs[lo:hi] {
		items = append(items, s.renderCheckRun(r, cr))
	}
	rep := jsonReply(http.StatusOK, map[string]any{"total_count": len(runs), "check_runs": items})
	rep.header = s.linkHeader(ex, len(runs), perPage, page)
	return rep
}

// resolveRef turns a commit SHA, or a branch known as a pull request's head
// or base, into a SHA.
func (s *Server) resolveRef(r *repo, ref string) (string, bool) {
	if hexSHA.MatchString(ref) {
		return ref, true
	}
	branch := strings.TrimPrefix(strings.TrimPrefix(ref, "refs/"), "heads/")
	var sha string
	for _, p := range r.sortedPulls() {
		switch branch {
		case p.HeadRef:
			sha = p.HeadSHA
		case p.BaseRef:
			sha = p.BaseSHA
		}
	}
	return sha, sha != ""
}
