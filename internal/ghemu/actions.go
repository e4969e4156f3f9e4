package ghemu

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// WorkflowRun is a workflow run the emulator lists, seeded with
// AddWorkflowRun: the emulator runs no workflows.
type WorkflowRun struct {
	// ID is assigned when zero.
	ID   int64
	Repo string // owner/name
	// Name is the workflow's name; "shipgate" when empty.
	Name       string
	HeadBranch string
	// HeadSHA is derived from the ID when empty.
	HeadSHA string
	// Event is what triggered the run, e.g. "push" or "pull_request".
	Event string
	// Status is "completed" when empty; Conclusion "success" when empty
	// and completed.
	Status, Conclusion string
	// PullRequests are the numbers of the run's pull requests (GitHub
	// lists them for pull_request runs from the same repository), with
	// BaseBranch as their base.
	PullRequests []int
	BaseBranch   string
	CreatedAt    time.Time
}

// Artifact is an artifact of a workflow run, seeded with AddArtifact.
type Artifact struct {
	// ID is assigned when zero.
	ID    int64
	RunID int64
	Name  string
	// Zip is the archive a download serves.
	Zip     []byte
	Expired bool
	// CreatedAt is the run's when zero.
	CreatedAt time.Time
}

// IDs above 2^31 like GitHub's, so a client that truncates them fails.
const (
	firstRunID      int64 = 9000000001
	firstArtifactID int64 = 4000000001
)

// actionsState is what the emulator knows of GitHub Actions.
type actionsState struct {
	runs      []*WorkflowRun
	artifacts []*Artifact
}

// AddWorkflowRun records a workflow run of a known repository and returns
// its ID.
func (s *Server) AddWorkflowRun(run WorkflowRun) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.repos[lower(run.Repo)]; !ok {
		s.t.Fatalf("ghemu: AddWorkflowRun: unknown repository %q; AddRepo it first", run.Repo)
	}
	if run.ID == 0 {
		run.ID = firstRunID + int64(len(s.actions.runs))
	}
	if run.Name == "" {
		run.Name = "shipgate"
	}
	if run.HeadSHA == "" {
		run.HeadSHA = fakeSHA("run", run.ID)
	}
	if run.Event == "" {
		run.Event = "push"
	}
	if run.Status == "" {
		run.Status = "completed"
	}
	if run.Conclusion == "" && run.Status == "completed" {
		run.Conclusion = "success"
	}
	if run.BaseBranch == "" {
		run.BaseBranch = "main"
	}
	if run.CreatedAt.IsZero() {
		run.CreatedAt = s.now()
	}
	run.CreatedAt = run.CreatedAt.UTC().Truncate(time.Second)
	run.PullRequests = slices.Clone(run.PullRequests)
	s.actions.runs = append(s.actions.runs, &run)
	return run.ID
}

// AddArtifact records an artifact of a run added with AddWorkflowRun and
// returns its ID.
func (s *Server) AddArtifact(a Artifact) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	run := s.runByID(a.RunID)
	if run == nil {
		s.t.Fatalf("ghemu: AddArtifact: unknown run %d; AddWorkflowRun it first", a.RunID)
	}
	if a.ID == 0 {
		a.ID = firstArtifactID + int64(len(s.actions.artifacts))
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = run.CreatedAt
	}
	a.CreatedAt = a.CreatedAt.UTC().Truncate(time.Second)
	a.Zip = slices.Clone(a.Zip)
	s.actions.artifacts = append(s.actions.artifacts, &a)
	return a.ID
}

func (s *Server) runByID(id int64) *WorkflowRun {
	for _, r := range s.actions.runs {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (s *Server) artifactByID(id int64) *Artifact {
	for _, a := range s.actions.artifacts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// listWorkflowRuns emulates actions/list-workflow-runs-for-repo: the
// branch, event, status (a status or a conclusion), head_sha and
// exclude_pull_requests filters; newest first, paginated.
func (s *Server) listWorkflowRuns(ex *exchange) reply {
	r, ok := s.repoOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	q := ex.req.URL.Query()
	var runs []*WorkflowRun
	for _, run := range s.actions.runs {
		switch {
		case lower(run.Repo) != lower(r.fullName()):
		case q.Has("branch") && run.HeadBranch != q.Get("branch"):
		case q.Has("event") && run.Event != q.Get("event"):
		case q.Has("status") && run.Status != q.Get("status") && run.Conclusion != q.Get("status"):
		case q.Has("head_sha") && run.HeadSHA != q.Get("head_sha"):
		default:
			runs = append(runs, run)
		}
	}
	slices.SortStableFunc(runs, func(a, b *WorkflowRun) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	perPage, page := pageOf(q)
	lo, hi := pageBounds(len(runs), perPage, page)
	items := make([]any, 0, hi-lo)
	for _, run := range runs[lo:hi] {
		items = append(items, s.renderWorkflowRun(r, run, q.Get("exclude_pull_requests") == "true"))
	}
	rep := jsonReply(http.StatusOK, map[string]any{"total_count": len(runs), "workflow_runs": items})
	rep.header = s.linkHeader(ex, len(runs), perPage, page)
	return rep
}

// listRunArtifacts emulates actions/list-workflow-run-artifacts: the name
// filter, oldest first (direction asc, GitHub's default) or newest first,
// paginated; an unknown run answers 404.
func (s *Server) listRunArtifacts(ex *exchange) reply {
	r, ok := s.repoOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	id, err := strconv.ParseInt(ex.params["run_id"], 10, 64)
	run := s.runByID(id)
	if err != nil || run == nil || lower(run.Repo) != lower(r.fullName()) {
		return notFound(ex.docURL())
	}
	q := ex.req.URL.Query()
	var arts []*Artifact
	for _, a := range s.actions.artifacts {
		if a.RunID == id && (!q.Has("name") || a.Name == q.Get("name")) {
			arts = append(arts, a)
		}
	}
	if q.Get("direction") == "desc" {
		slices.Reverse(arts)
	}
	perPage, page := pageOf(q)
	lo, hi := pageBounds(len(arts), perPage, page)
	items := make([]any, 0, hi-lo)
	for _, a := range arts[lo:hi] {
		items = append(items, s.renderArtifact(r, run, a))
	}
	rep := jsonReply(http.StatusOK, map[string]any{"total_count": len(arts), "artifacts": items})
	rep.header = s.linkHeader(ex, len(arts), perPage, page)
	return rep
}

// downloadArtifact emulates actions/download-artifact: 302 to a short-lived
// URL of the archive in the artifact storage (BlobPath, on the same
// server), 410 when the artifact expired. GitHub serves only the zip
// archive_format.
func (s *Server) downloadArtifact(ex *exchange) reply {
	r, ok := s.repoOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	id, err := strconv.ParseInt(ex.params["artifact_id"], 10, 64)
	a := s.artifactByID(id)
	if err != nil || a == nil || ex.params["archive_format"] != "zip" {
		return notFound(ex.docURL())
	}
	if run := s.runByID(a.RunID); lower(run.Repo) != lower(r.fullName()) {
		return notFound(ex.docURL())
	}
	if a.Expired {
		return errorReply(http.StatusGone, "Artifact has expired", ex.docURL())
	}
	h := http.Header{}
	h.Set("Location", s.blobURL(a.ID))
	return reply{status: http.StatusFound, header: h}
}
