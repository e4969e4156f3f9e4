package ghemu_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/shipgate/shipgate/internal/ghemu"
)

const deploymentsPath = "/repos/{owner}/{repo}/deployments"

// deployRequest is what the promote stage sends: the tested SHA, no
// auto-merge, no required contexts.
func deployRequest(sha, env string) *github.DeploymentRequest {
	return &github.DeploymentRequest{
		Ref: github.String(sha), Environment: github.String(env), Description: github.String("revision 3"),
		AutoMerge: github.Bool(false), RequiredContexts: &[]string{},
		Payload:               map[string]any{"revision": 3},
		ProductionEnvironment: github.Bool(env == "production"),
	}
}

func TestDeploymentLifecycle(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 5, 9, 12, 0, 0, 0, time.UTC)
	srv := ghemu.New(t, ghemu.WithClock(func() time.Time { return clock }))
	srv.AddRepo(testRepo)
	gh := newClient(t, srv)
	ctx := t.Context()

	d, resp, err := gh.Repositories.CreateDeployment(ctx, testOwner, testName, deployRequest(headSHA, "production"))
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	if resp.StatusCode != http.StatusCreated || d.GetID() <= 1<<31 || d.GetSHA() != headSHA || d.GetEnvironment() != "production" {
		t.Errorf("CreateDeployment = %d id %d sha %s env %s, want 201, an id above 2^31, %s, production",
			resp.StatusCode, d.GetID(), d.GetSHA(), d.GetEnvironment(), headSHA)
	}
	if got := d.GetCreator().GetLogin(); got != "github-actions[bot]" {
		t.Errorf("creator = %q, want github-actions[bot]", got)
	}
	if string(d.Payload) != `{"revision":3}` {
		t.Errorf("payload = %s, want {\"revision\":3}", d.Payload)
	}
	for _, st := range []*github.DeploymentStatusRequest{
		{State: github.String("in_progress"), LogURL: github.String("https://ci.example.com/run/1"), Description: github.String("switching traffic")},
		{State: github.String("success"), EnvironmentURL: github.String("https://app.example.com"), LogURL: github.String("https://ci.example.com/run/1")},
	} {
		got, _, err := gh.Repositories.CreateDeploymentStatus(ctx, testOwner, testName, d.GetID(), st)
		if err != nil {
			t.Fatalf("CreateDeploymentStatus %s: %v", st.GetState(), err)
		}
		if got.GetState() != st.GetState() || got.GetTargetURL() != st.GetLogURL() || got.GetDeploymentURL() != d.GetURL() {
			t.Errorf("status = %s target %s deployment %s, want %s %s %s", got.GetState(), got.GetTargetURL(),
				got.GetDeploymentURL(), st.GetState(), st.GetLogURL(), d.GetURL())
		}
	}

	listed, _, err := gh.Repositories.ListDeploymentStatuses(ctx, testOwner, testName, d.GetID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, st := range listed {
		states = append(states, st.GetState())
	}
	if diff := cmp.Diff([]string{"success", "in_progress"}, states); diff != "" {
		t.Errorf("listed statuses, newest first (-want +got):\n%s", diff)
	}

	want := []ghemu.Deployment{{
		ID: d.GetID(), Repo: testRepo, Ref: headSHA, SHA: headSHA, Task: "deploy",
		Environment: "production", OriginalEnvironment: "production", Description: "revision 3",
		Payload: json.RawMessage(`{"revision":3}`), AutoMerge: github.Bool(false), RequiredContexts: []string{},
		ProductionEnvironment: true, CreatedAt: clock, UpdatedAt: clock,
	}}
	if diff := cmp.Diff(want, srv.Deployments(testRepo)); diff != "" {
		t.Errorf("Deployments (-want +got):\n%s", diff)
	}
	sts := srv.DeploymentStatuses(d.GetID())
	if len(sts) != 2 || sts[1].EnvironmentURL != "https://app.example.com" || sts[1].Environment != "production" || sts[0].Description != "switching traffic" {
		t.Errorf("DeploymentStatuses = %+v, want in_progress then success with the environment URL", sts)
	}
	if _, _, err := gh.Repositories.ListDeploymentStatuses(ctx, testOwner, testName, 42, nil); errorStatus(err) != http.StatusNotFound {
		t.Errorf("statuses of an unknown deployment: %v, want 404", err)
	}
}

func TestCreateDeploymentRefusals(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddPull(testRepo, ghemu.Pull{Number: 4, HeadRef: "feature", HeadSHA: headSHA})
	gh := newClient(t, srv)
	ctx := t.Context()
	// A check run still running on the commit: GitHub refuses a deployment
	// that leaves required_contexts out, and accepts one that passes [].
	run, _, err := gh.Checks.CreateCheckRun(ctx, testOwner, testName, github.CreateCheckRunOptions{Name: "shipgate / promote", HeadSHA: headSHA, Status: github.String("in_progress")})
	if err != nil {
		t.Fatal(err)
	}
	req := deployRequest(headSHA, "production")
	req.RequiredContexts = nil
	_, _, err = gh.Repositories.CreateDeployment(ctx, testOwner, testName, req)
	if er, ok := err.(*github.ErrorResponse); !ok || er.Response.StatusCode != http.StatusConflict || !strings.Contains(er.Message, "Commit status checks failed") {
		t.Errorf("deployment without required_contexts while a check runs: %v, want 409", err)
	}
	if _, _, err := gh.Repositories.CreateDeployment(ctx, testOwner, testName, deployRequest(headSHA, "production")); err != nil {
		t.Errorf("deployment with required_contexts []: %v", err)
	}
	if _, _, err := gh.Checks.UpdateCheckRun(ctx, testOwner, testName, run.GetID(), github.UpdateCheckRunOptions{Name: "shipgate / promote", Conclusion: github.String("success")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Repositories.CreateDeployment(ctx, testOwner, testName, req); err != nil {
		t.Errorf("deployment without required_contexts once checks passed: %v", err)
	}
	// A branch resolves to its head; an unknown ref does not resolve.
	d, _, err := gh.Repositories.CreateDeployment(ctx, testOwner, testName, deployRequest("feature", "staging"))
	if err != nil || d.GetSHA() != headSHA {
		t.Errorf("deployment of branch feature: sha %q, %v; want %s", d.GetSHA(), err, headSHA)
	}
	_, _, err = gh.Repositories.CreateDeployment(ctx, testOwner, testName, deployRequest("no-such-branch", "staging"))
	if er, ok := err.(*github.ErrorResponse); !ok || er.Response.StatusCode != http.StatusUnprocessableEntity || er.Message != "No ref found for: no-such-branch" {
		t.Errorf("deployment of an unknown ref: %v, want 422 No ref found for: no-such-branch", err)
	}
	if n := len(srv.Deployments(testRepo)); n != 3 {
		t.Errorf("%d deployments, want 3", n)
	}
}

func TestAutoInactive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		env          string
		autoInactive *bool
		want         string // the first deployment's last state
	}{
		{"staging: the earlier success goes inactive", "staging", nil, "inactive"},
		{"staging with auto_inactive false", "staging", github.Bool(false), "success"},
		{"production is left to the client", "production", nil, "success"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghemu.New(t)
			srv.AddRepo(testRepo)
			gh := newClient(t, srv)
			var ids []int64
			for _, sha := range []string{baseSHA, headSHA} {
				d, _, err := gh.Repositories.CreateDeployment(t.Context(), testOwner, testName, deployRequest(sha, tt.env))
				if err != nil {
					t.Fatal(err)
				}
				st := &github.DeploymentStatusRequest{State: github.String("success"), AutoInactive: tt.autoInactive}
				if _, _, err := gh.Repositories.CreateDeploymentStatus(t.Context(), testOwner, testName, d.GetID(), st); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, d.GetID())
			}
			first := srv.DeploymentStatuses(ids[0])
			last := first[len(first)-1]
			if last.State != tt.want || last.Automatic != (tt.want == "inactive") {
				t.Errorf("first deployment's last status = %s (automatic %t), want %s", last.State, last.Automatic, tt.want)
			}
			if got := srv.DeploymentStatuses(ids[1]); len(got) != 1 || got[0].State != "success" {
				t.Errorf("second deployment's statuses = %+v, want one success", got)
			}
		})
	}
}

func TestDeploymentStatusRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		req     github.DeploymentStatusRequest
		message string
	}{
		{"unknown state", github.DeploymentStatusRequest{State: github.String("done")}, "Invalid request"},
		{"description over 140 characters", github.DeploymentStatusRequest{State: github.String("failure"),
			Description: github.String(strings.Repeat("é", 141))}, "Validation Failed"},
		{"environment URL not a URL", github.DeploymentStatusRequest{State: github.String("success"),
			EnvironmentURL: github.String("app.example.com")}, "Validation Failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghemu.New(t)
			srv.AddRepo(testRepo)
			gh := newClient(t, srv)
			d, _, err := gh.Repositories.CreateDeployment(t.Context(), testOwner, testName, deployRequest(headSHA, "production"))
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = gh.Repositories.CreateDeploymentStatus(t.Context(), testOwner, testName, d.GetID(), &tt.req)
			if er, ok := err.(*github.ErrorResponse); !ok || er.Response.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(er.Message, tt.message) {
				t.Errorf("CreateDeploymentStatus: %v, want 422 containing %q", err, tt.message)
			}
			if v := srv.TakeViolations(); len(v) != 1 {
				t.Errorf("violations = %v, want exactly 1", v)
			}
			if got := srv.DeploymentStatuses(d.GetID()); len(got) != 0 {
				t.Errorf("a rejected request added statuses %+v", got)
			}
		})
	}
}

func TestListDeployments(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(testRepo)
	gh := newClient(t, srv)
	ctx := t.Context()
	var prod []int64
	for i, env := range []string{"production", "staging", "production", "production"} {
		d, _, err := gh.Repositories.CreateDeployment(ctx, testOwner, testName, deployRequest([]string{baseSHA, headSHA}[i%2], env))
		if err != nil {
			t.Fatal(err)
		}
		if env == "production" {
			prod = append([]int64{d.GetID()}, prod...) // newest first
		}
	}
	opts := &github.DeploymentsListOptions{Environment: "production", ListOptions: github.ListOptions{PerPage: 2}}
	var got []int64
	for {
		ds, resp, err := gh.Repositories.ListDeployments(ctx, testOwner, testName, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			got = append(got, d.GetID())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if diff := cmp.Diff(prod, got); diff != "" {
		t.Errorf("production deployments, newest first over pages of 2 (-want +got):\n%s", diff)
	}
	ds, _, err := gh.Repositories.ListDeployments(ctx, testOwner, testName, &github.DeploymentsListOptions{SHA: headSHA})
	var envs []string
	for _, d := range ds {
		envs = append(envs, d.GetEnvironment())
	}
	if err != nil || !slices.Equal(envs, []string{"production", "staging"}) {
		t.Errorf("environments of the deployments of %s: %v, %v; want [production staging]", headSHA, envs, err)
	}
}

func TestFaultAfterEmulation(t *testing.T) {
	t.Parallel()
	srv := ghemu.New(t)
	srv.AddRepo(testRepo)
	srv.Fail(ghemu.FaultRule{Method: http.MethodPost, PathPattern: deploymentsPath, Times: 1,
		Status: http.StatusBadGateway, Message: "Server Error", AfterEmulation: true})
	gh := newClient(t, srv)
	_, _, err := gh.Repositories.CreateDeployment(t.Context(), testOwner, testName, deployRequest(headSHA, "production"))
	if errorStatus(err) != http.StatusBadGateway {
		t.Fatalf("CreateDeployment: %v, want the lost answer's 502", err)
	}
	if n := len(srv.Deployments(testRepo)); n != 1 {
		t.Errorf("%d deployments after a lost answer, want 1: the write happened", n)
	}
	if _, _, err := gh.Repositories.CreateDeployment(t.Context(), testOwner, testName, deployRequest(headSHA, "production")); err != nil {
		t.Errorf("after the fault: %v", err)
	}
	calls := srv.CallsTo("repos/create-deployment")
	if len(calls) != 2 || !calls[0].Fault || calls[1].Fault {
		t.Errorf("calls = %v, want the first marked as a fault", calls)
	}
}
