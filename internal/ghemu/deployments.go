package ghemu

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Deployment is a deployment as the emulator stores it. Fields the client
// may leave out keep what it sent (nil when absent), so tests can tell an
// explicit value from GitHub's default.
type Deployment struct {
	ID   int64
	Repo string // owner/name
	// Ref is the ref the client asked for; SHA is the commit it resolved to.
	Ref, SHA string
	Task     string // default deploy
	// Environment is the current environment (a status may change it);
	// OriginalEnvironment the one the deployment was created for.
	Environment, OriginalEnvironment string
	Description                      string
	// Payload is the payload as sent, nil when absent.
	Payload json.RawMessage
	// AutoMerge is auto_merge as sent; nil means absent (GitHub's default,
	// true).
	AutoMerge *bool
	// RequiredContexts is required_contexts as sent: nil when absent (GitHub
	// then requires every context of the commit to have passed), empty when
	// the client bypassed the check.
	RequiredContexts      []string
	ProductionEnvironment bool
	TransientEnvironment  bool
	CreatedAt, UpdatedAt  time.Time
}

// DeploymentStatus is one status of a deployment.
type DeploymentStatus struct {
	ID           int64
	DeploymentID int64
	// State is error, failure, inactive, in_progress, queued, pending or
	// success.
	State       string
	Description string
	Environment string
	// TargetURL is log_url when the client set it (GitHub copies it), else
	// target_url.
	EnvironmentURL, LogURL, TargetURL string
	// AutoInactive is auto_inactive as sent; nil means absent (GitHub's
	// default, true).
	AutoInactive *bool
	// Automatic marks an inactive status GitHub added on its own because a
	// later deployment to the environment succeeded (auto_inactive).
	Automatic bool
	CreatedAt time.Time
}

// deployment is a stored deployment with its statuses, oldest first.
type deployment struct {
	Deployment
	statuses []DeploymentStatus
}

// IDs above 2^31 like GitHub's, so a client that truncates them fails.
const (
	firstDeploymentID       int64 = 3000000001
	firstDeploymentStatusID int64 = 6000000001
)

// Deployments returns the deployments of a repository ("owner/name") in
// creation order.
func (s *Server) Deployments(repo string) []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Deployment
	for _, d := range s.deployments {
		if lower(d.Repo) == lower(repo) {
			out = append(out, d.clone())
		}
	}
	return out
}

// DeploymentStatuses returns the statuses of a deployment in creation order
// (the API lists them newest first), nil for an unknown deployment.
func (s *Server) DeploymentStatuses(deploymentID int64) []DeploymentStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.deploymentByID(deploymentID); d != nil {
		return slices.Clone(d.statuses)
	}
	return nil
}

func (d *deployment) clone() Deployment {
	c := d.Deployment
	c.Payload = slices.Clone(c.Payload)
	if c.RequiredContexts != nil {
		c.RequiredContexts = slices.Clone(c.RequiredContexts)
	}
	if c.AutoMerge != nil {
		v := *c.AutoMerge
		c.AutoMerge = &v
	}
	return c
}

// state is the deployment's latest state, empty before its first status.
func (d *deployment) state() string {
	if len(d.statuses) == 0 {
		return ""
	}
	return d.statuses[len(d.statuses)-1].State
}

func (s *Server) deploymentByID(id int64) *deployment {
	i := id - firstDeploymentID
	if i < 0 || i >= int64(len(s.deployments)) {
		return nil
	}
	return s.deployments[i]
}

// deploymentOf finds the deployment named by {owner}, {repo} and
// {deployment_id}.
func (s *Server) deploymentOf(ex *exchange) (*repo, *deployment, bool) {
	r, ok := s.repoOf(ex)
	if !ok {
		return nil, nil, false
	}
	id, err := strconv.ParseInt(ex.params["deployment_id"], 10, 64)
	if err != nil {
		return nil, nil, false
	}
	d := s.deploymentByID(id)
	if d == nil || lower(d.Repo) != lower(r.fullName()) {
		return nil, nil, false
	}
	return r, d, true
}

// createDeployment emulates repos/create-deployment: the ref resolves to a
// commit (422 "No ref found for: REF" otherwise); without required_contexts
// every check run on the commit must have passed (409 otherwise), which is
// why clients that ran their own gates pass an empty list. auto_merge is
// recorded, not emulated: the emulator has no history to merge.
func (s *Server) createDeployment(ex *exchange) reply {
	r, ok := s.repoOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	var b struct {
		Ref                   string          `json:"ref"`
		Task                  *string         `json:"task"`
		AutoMerge             *bool           `json:"auto_merge"`
		RequiredContexts      []string        `json:"required_contexts"`
		Payload               json.RawMessage `json:"payload"`
		Environment           *string         `json:"environment"`
		Description           *string         `json:"description"`
		TransientEnvironment  *bool           `json:"transient_environment"`
		ProductionEnvironment *bool           `json:"production_environment"`
	}
	if err := json.Unmarshal(ex.body, &b); err != nil {
		return invalidRequest(ex.docURL(), err.Error())
	}
	sha, ok := s.resolveRef(r, b.Ref)
	if !ok {
		return errorReply(http.StatusUnprocessableEntity, "No ref found for: "+b.Ref, ex.docURL())
	}
	if b.RequiredContexts == nil && !s.checksPassed(r, sha) {
		return errorReply(http.StatusConflict, "Conflict: Commit status checks failed for "+b.Ref+".", ex.docURL())
	}
	env := deref(b.Environment, "production")
	now := s.now()
	d := &deployment{Deployment: Deployment{
		ID: firstDeploymentID + int64(len(s.deployments)), Repo: r.fullName(),
		Ref: b.Ref, SHA: sha, Task: deref(b.Task, "deploy"),
		Environment: env, OriginalEnvironment: env, Description: deref(b.Description, ""),
		Payload: b.Payload, AutoMerge: b.AutoMerge, RequiredContexts: b.RequiredContexts,
		ProductionEnvironment: derefBool(b.ProductionEnvironment, env == "production"),
		TransientEnvironment:  derefBool(b.TransientEnvironment, false),
		CreatedAt:             now, UpdatedAt: now,
	}}
	s.deployments = append(s.deployments, d)
	return jsonReply(http.StatusCreated, s.renderDeployment(r, d))
}

// checksPassed reports whether the latest check run of every name on sha
// completed with success, neutral or skipped, as GitHub requires of a
// deployment that does not name its required contexts.
func (s *Server) checksPassed(r *repo, sha string) bool {
	seen := map[string]bool{}
	for _, cr := range slices.Backward(s.checkRuns) {
		if cr.Repo != r.fullName() || cr.HeadSHA != sha || seen[cr.Name] {
			continue
		}
		seen[cr.Name] = true
		if cr.Status != "completed" || !slices.Contains([]string{"success", "neutral", "skipped"}, cr.Conclusion) {
			return false
		}
	}
	return true
}

// listDeployments emulates repos/list-deployments: sha, ref, task and
// environment filters, newest first, paginated.
func (s *Server) listDeployments(ex *exchange) reply {
	r, ok := s.repoOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	q := ex.req.URL.Query()
	var ds []*deployment
	for _, d := range slices.Backward(s.deployments) {
		switch {
		case lower(d.Repo) != lower(r.fullName()):
		case q.Has("sha") && d.SHA != q.Get("sha"):
		case q.Has("ref") && d.Ref != q.Get("ref"):
		case q.Has("task") && d.Task != q.Get("task"):
		case q.Has("environment") && d.Environment != q.Get("environment"):
		default:
			ds = append(ds, d)
		}
	}
	perPage, page := pageOf(q)
	lo, hi := pageBounds(len(ds), perPage, page)
	items := make([]any, 0, hi-lo)
	for _, d := range ds[lo:hi] {
		items = append(items, s.renderDeployment(r, d))
	}
	rep := jsonReply(http.StatusOK, items)
	rep.header = s.linkHeader(ex, len(ds), perPage, page)
	return rep
}

func deref(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func derefBool(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}
