package ghemu

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// exampleRunRepo is the repository GitHub's workflow run example uses.
const exampleRunRepo = "octo-org/octo-repo"

// renderWorkflowRun is a workflow-run as GitHub lists it.
func (s *Server) renderWorkflowRun(r *repo, run *WorkflowRun, excludePulls bool) map[string]any {
	var page struct {
		Runs []map[string]any `json:"workflow_runs"`
	}
	ex := s.fromExample("workflow-run-paginated", exampleAPIBase, s.URL(), exampleRunRepo, r.fullName(), exampleRepo, r.fullName())
	page.Runs = toMaps(ex["workflow_runs"])
	m := page.Runs[0]
	id := strconv.FormatInt(run.ID, 10)
	apiURL := s.URL() + "/repos/" + r.fullName() + "/actions/runs/" + id
	m["id"], m["node_id"], m["name"] = run.ID, nodeID("WorkflowRun", run.ID), run.Name
	m["head_branch"], m["head_sha"], m["event"] = run.HeadBranch, run.HeadSHA, run.Event
	m["status"], m["conclusion"] = run.Status, nullable(run.Conclusion)
	m["display_title"] = run.Name + " on " + run.HeadBranch
	m["run_number"], m["run_attempt"] = run.ID-firstRunID+1, 1
	m["url"], m["html_url"] = apiURL, "https://github.com/"+r.fullName()+"/actions/runs/"+id
	m["jobs_url"], m["logs_url"], m["artifacts_url"] = apiURL+"/jobs", apiURL+"/logs", apiURL+"/artifacts"
	m["cancel_url"], m["rerun_url"] = apiURL+"/cancel", apiURL+"/rerun"
	m["created_at"], m["updated_at"], m["run_started_at"] = timestamp(run.CreatedAt), timestamp(run.CreatedAt), timestamp(run.CreatedAt)
	if hc, ok := m["head_commit"].(map[string]any); ok {
		hc["id"], hc["tree_id"], hc["timestamp"] = run.HeadSHA, fakeSHA("tree", run.HeadSHA), timestamp(run.CreatedAt)
	}
	pulls := []any{}
	if !excludePulls {
		for _, n := range run.PullRequests {
			pulls = append(pulls, s.renderPullMinimal(r, run, n))
		}
	}
	m["pull_requests"] = pulls
	return m
}

// renderPullMinimal is a pull-request-minimal of a run's pull request.
func (s *Server) renderPullMinimal(r *repo, run *WorkflowRun, number int) map[string]any {
	repoRef := map[string]any{"id": r.id, "url": s.URL() + "/repos/" + r.fullName(), "name": r.name}
	return map[string]any{
		"id": stableID(r.fullName() + "#" + strconv.Itoa(number)), "number": number,
		"url":  s.URL() + "/repos/" + r.fullName() + "/pulls/" + strconv.Itoa(number),
		"head": map[string]any{"ref": run.HeadBranch, "sha": run.HeadSHA, "repo": repoRef},
		"base": map[string]any{"ref": run.BaseBranch, "sha": fakeSHA("base", run.BaseBranch, run.ID), "repo": repoRef},
	}
}

// renderArtifact is an artifact as GitHub lists it; it expires 90 days
// after its creation, GitHub's default retention.
func (s *Server) renderArtifact(r *repo, run *WorkflowRun, a *Artifact) map[string]any {
	ex := s.fromExample("artifact-paginated", exampleAPIBase, s.URL(), "octo-org/octo-docs", r.fullName())
	m := toMaps(ex["artifacts"])[0]
	id := strconv.FormatInt(a.ID, 10)
	apiURL := s.URL() + "/repos/" + r.fullName() + "/actions/artifacts/" + id
	m["id"], m["node_id"], m["name"] = a.ID, nodeID("Artifact", a.ID), a.Name
	m["size_in_bytes"] = len(a.Zip)
	m["url"], m["archive_download_url"] = apiURL, apiURL+"/zip"
	m["expired"] = a.Expired
	m["created_at"], m["updated_at"] = timestamp(a.CreatedAt), timestamp(a.CreatedAt)
	m["expires_at"] = timestamp(a.CreatedAt.Add(90 * 24 * time.Hour))
	sum := sha256.Sum256(a.Zip)
	m["digest"] = "sha256:" + hex.EncodeToString(sum[:])
	m["workflow_run"] = map[string]any{
		"id": run.ID, "repository_id": r.id, "head_repository_id": r.id,
		"head_branch": run.HeadBranch, "head_sha": run.HeadSHA,
	}
	return m
}

// toMaps is the list of objects of a decoded JSON array.
func toMaps(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
