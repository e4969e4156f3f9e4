package ghemu

import (
	"encoding/json"
	"net/http"
	"slices"
)

// deploymentStatusBody is the body of repos/create-deployment-status.
type deploymentStatusBody struct {
	State          string  `json:"state"`
	TargetURL      *string `json:"target_url"`
	LogURL         *string `json:"log_url"`
	Description    *string `json:"description"`
	Environment    *string `json:"environment"`
	EnvironmentURL *string `json:"environment_url"`
	AutoInactive   *bool   `json:"auto_inactive"`
}

// createDeploymentStatus emulates repos/create-deployment-status. The
// environment defaults to the previous status's, else the deployment's, and
// a new one moves the deployment. A success with auto_inactive (the
// default) adds an inactive status to every earlier deployment to the
// environment whose latest state is success and that is neither transient
// nor production, as GitHub's documentation of auto_inactive says:
// production deployments are left for the client to mark inactive.
func (s *Server) createDeploymentStatus(ex *exchange) reply {
	r, d, ok := s.deploymentOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	var b deploymentStatusBody
	if err := json.Unmarshal(ex.body, &b); err != nil {
		return invalidRequest(ex.docURL(), err.Error())
	}
	env := d.Environment
	if b.Environment != nil && *b.Environment != "" {
		env = *b.Environment
	}
	now := s.now()
	st := DeploymentStatus{
		ID: s.nextDeploymentStatusID(), DeploymentID: d.ID, State: b.State,
		Description: deref(b.Description, ""), Environment: env,
		EnvironmentURL: deref(b.EnvironmentURL, ""), LogURL: deref(b.LogURL, ""),
		TargetURL: deref(b.TargetURL, ""), AutoInactive: b.AutoInactive, CreatedAt: now,
	}
	if st.LogURL != "" {
		st.TargetURL = st.LogURL
	}
	d.statuses = append(d.statuses, st)
	d.Environment, d.UpdatedAt = env, now
	if st.State == "success" && derefBool(b.AutoInactive, true) {
		for _, old := range s.deployments {
			if old.ID >= d.ID || lower(old.Repo) != lower(d.Repo) || old.Environment != env ||
				old.TransientEnvironment || old.ProductionEnvironment || old.state() != "success" {
				continue
			}
			prev := old.statuses[len(old.statuses)-1]
			old.statuses = append(old.statuses, DeploymentStatus{
				ID: s.nextDeploymentStatusID(), DeploymentID: old.ID, State: "inactive",
				Environment: env, EnvironmentURL: prev.EnvironmentURL, Automatic: true, CreatedAt: now,
			})
			old.UpdatedAt = now
		}
	}
	return jsonReply(http.StatusCreated, s.renderDeploymentStatus(r, d, st))
}

func (s *Server) nextDeploymentStatusID() int64 {
	id := firstDeploymentStatusID + s.deploymentStatusCount
	s.deploymentStatusCount++
	return id
}

// listDeploymentStatuses emulates repos/list-deployment-statuses: newest
// first, paginated.
func (s *Server) listDeploymentStatuses(ex *exchange) reply {
	r, d, ok := s.deploymentOf(ex)
	if !ok {
		return notFound(ex.docURL())
	}
	sts := slices.Clone(d.statuses)
	slices.Reverse(sts)
	perPage, page := pageOf(ex.req.URL.Query())
	lo, hi := pageBounds(len(sts), perPage, page)
	items := make([]any, 0, hi-lo)
	for _, st := range sts[lo:hi] {
		items = append(items, s.renderDeploymentStatus(r, d, st))
	}
	rep := jsonReply(http.StatusOK, items)
	rep.header = s.linkHeader(ex, len(sts), perPage, page)
	return rep
}
