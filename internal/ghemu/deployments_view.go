package ghemu

import (
	"encoding/json"
	"strconv"
)

// Values in GitHub's deployment examples that the renderers replace.
const exampleDeploymentRepo = "octocat/example"

// actionsBot is the user behind writes made with a GITHUB_TOKEN.
func (s *Server) actionsBot() map[string]any {
	u := s.renderUser("github-actions[bot]")
	u["id"], u["node_id"], u["type"] = 41898282, "MDM6Qm90NDE4OTgyODI=", "Bot"
	return u
}

// actionsApp is the GitHub Actions app, as performed_via_github_app.
func (s *Server) actionsApp() map[string]any {
	cr := s.fromExample("check-run", exampleAPIBase, s.URL())
	return s.githubActionsApp(cr["app"].(map[string]any))
}

// renderDeployment is a deployment as GitHub answers it, created by the
// GitHub Actions app.
func (s *Server) renderDeployment(r *repo, d *deployment) map[string]any {
	m := s.fromExample("deployment-simple-example", exampleAPIBase, s.URL(), exampleDeploymentRepo, r.fullName())
	apiURL := s.URL() + "/repos/" + r.fullName() + "/deployments/" + strconv.FormatInt(d.ID, 10)
	m["url"], m["id"], m["node_id"] = apiURL, d.ID, nodeID("Deployment", d.ID)
	m["sha"], m["ref"], m["task"] = d.SHA, d.Ref, d.Task
	m["payload"] = renderPayload(d.Payload)
	m["environment"], m["original_environment"] = d.Environment, d.OriginalEnvironment
	m["description"] = nullable(d.Description)
	m["creator"] = s.actionsBot()
	m["created_at"], m["updated_at"] = timestamp(d.CreatedAt), timestamp(d.UpdatedAt)
	m["statuses_url"] = apiURL + "/statuses"
	m["repository_url"] = s.URL() + "/repos/" + r.fullName()
	m["transient_environment"], m["production_environment"] = d.TransientEnvironment, d.ProductionEnvironment
	m["performed_via_github_app"] = s.actionsApp()
	return m
}

// renderPayload answers the payload as GitHub does: an object stays an
// object, a string holding a JSON object becomes that object, another string
// stays a string, and none is {}.
func renderPayload(raw json.RawMessage) any {
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		var obj map[string]any
		if json.Unmarshal([]byte(str), &obj) == nil && obj != nil {
			return obj
		}
		return str
	}
	return raw
}

// renderDeploymentStatus is a deployment-status as GitHub answers it. Unset
// URLs are empty strings, as GitHub sends them.
func (s *Server) renderDeploymentStatus(r *repo, d *deployment, st DeploymentStatus) map[string]any {
	m := s.fromExample("deployment-status", exampleAPIBase, s.URL(), exampleDeploymentRepo, r.fullName())
	depURL := s.URL() + "/repos/" + r.fullName() + "/deployments/" + strconv.FormatInt(d.ID, 10)
	m["url"] = depURL + "/statuses/" + strconv.FormatInt(st.ID, 10)
	m["id"], m["node_id"] = st.ID, nodeID("DeploymentStatus", st.ID)
	m["state"], m["description"], m["environment"] = st.State, st.Description, st.Environment
	m["creator"] = s.actionsBot()
	m["target_url"], m["log_url"], m["environment_url"] = st.TargetURL, st.TargetURL, st.EnvironmentURL
	m["created_at"], m["updated_at"] = timestamp(st.CreatedAt), timestamp(st.CreatedAt)
	m["deployment_url"] = depURL
	m["repository_url"] = s.URL() + "/repos/" + r.fullName()
	m["performed_via_github_app"] = s.actionsApp()
	return m
}
