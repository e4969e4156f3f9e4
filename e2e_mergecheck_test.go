package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/gittest"
)

// checkRun returns the only check run of the repository, completed.
func checkRun(t *testing.T, srv *ghemu.Server) ghemu.CheckRun {
	t.Helper()
	runs := srv.CheckRuns(repoName)
	if len(runs) != 1 {
		t.Fatalf("got %d check runs, want 1: %+v", len(runs), runs)
	}
	r := runs[0]
	if r.Name != "shipgate / merge-check" || r.Status != "completed" {
		t.Fatalf("check run %q is %s, want shipgate / merge-check completed", r.Name, r.Status)
	}
	return r
}

func TestMergeCheckConflictingPR(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	head, _ := f.pull(7, gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 4", 1)})
	base := f.moveMain(gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 3", 1)})
	ws := f.workspace()

	s := runStep(t, f.srv, ws, "pull_request", pullEvent(t, 7, head, base), nil)
	if s.code != 1 {
		t.Fatalf("exit code %d, want 1 (findings); log:\n%s", s.code, s.log)
	}
	run := checkRun(t, f.srv)
	if run.HeadSHA != head || run.Conclusion != "failure" {
		t.Errorf("check run on %s concluded %q, want on PR head %s with failure", run.HeadSHA, run.Conclusion, head)
	}
	anns := f.srv.Annotations(run.ID)
	if len(anns) != 1 {
		t.Fatalf("got %d annotations, want 1: %+v", len(anns), anns)
	}
	a := anns[0]
	if a.Path != "deploy/web.yaml" || a.StartLine != 7 || a.EndLine != 11 || a.AnnotationLevel != "failure" {
		t.Errorf("annotation = %+v, want deploy/web.yaml lines 7-11 failure", a)
	}
	for _, want := range []string{"Deployment/shop/web", "spec.replicas"} {
		if !strings.Contains(a.Message, want) {
			t.Errorf("annotation message %q does not name %q", a.Message, want)
		}
	}
	cases := readJUnit(t, s)
	if c := cases["merge/conflicts"]; c.Failure == nil || !strings.Contains(c.Failure.Data, "deploy/web.yaml:7") {
		t.Errorf("JUnit merge/conflicts = %+v, want a failure at deploy/web.yaml:7", c)
	}
	if c := cases["manifest/syntax"]; c.Failure != nil {
		t.Errorf("conflict markers were also reported as a syntax error: %+v", c.Failure)
	}
	wantOutputs := map[string]string{"result": "failure", "findings": "1", "check-run-id": fmt.Sprint(run.ID),
		"junit-path": "shipgate-report/merge-check.junit.xml", "summary-path": "shipgate-report/merge-check.md"}
	for k, v := range wantOutputs {
		if s.outputs[k] != v {
			t.Errorf("output %s = %q, want %q", k, s.outputs[k], v)
		}
	}
	if !strings.Contains(s.summary, "`merge/conflicts` | ❌ failed") || !strings.Contains(s.summary, "deploy/web.yaml:7") {
		t.Errorf("step summary lacks the conflict:\n%s", s.summary)
	}
}

func TestMergeCheckBaseMovedIntoConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// When the event fired the PR merged cleanly; main moved afterwards.
	head, eventBase := f.pull(8, gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "web:1.4.0", "web:1.5.0", 1)})
	ws := f.workspace()
	moved := f.moveMain(gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "web:1.4.0", "web:1.4.1", 1)})

	s := runStep(t, f.srv, ws, "pull_request", pullEvent(t, 8, head, eventBase), nil)
	if s.code != 1 {
		t.Fatalf("exit code %d, want 1; log:\n%s", s.code, s.log)
	}
	run := checkRun(t, f.srv)
	anns := f.srv.Annotations(run.ID)
	if len(anns) != 1 || !strings.Contains(anns[0].Message, "spec.template.spec.containers[0].image") {
		t.Fatalf("annotations = %+v, want one conflict naming the image field", anns)
	}
	if want := "The base moved since the event (" + eventBase[:12] + " → " + moved[:12] + ")"; !strings.Contains(s.summary, want) {
		t.Errorf("summary does not say %q:\n%s", want, s.summary)
	}
}

func TestMergeCheckCleanPR(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	head, base := f.pull(9, gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 5", 1)})
	s := runStep(t, f.srv, f.workspace(), "pull_request", pullEvent(t, 9, head, base), nil)
	if s.code != 0 {
		t.Fatalf("exit code %d, want 0; log:\n%s", s.code, s.log)
	}
	run := checkRun(t, f.srv)
	if run.Conclusion != "success" || len(f.srv.Annotations(run.ID)) != 0 {
		t.Errorf("check run concluded %q with %d annotations, want success with none", run.Conclusion, len(f.srv.Annotations(run.ID)))
	}
	if s.outputs["result"] != "success" || s.outputs["findings"] != "0" {
		t.Errorf("outputs = %v", s.outputs)
	}
	for name, c := range readJUnit(t, s) {
		if c.Failure != nil {
			t.Errorf("JUnit case %s failed: %+v", name, c.Failure)
		}
	}
	if !strings.Contains(s.summary, "GitHub mergeable: true (clean)") {
		t.Errorf("summary lacks GitHub's mergeability:\n%s", s.summary)
	}
	// One create, one update (no annotations), one pulls/get: API calls stay
	// proportional to findings.
	if n := len(f.srv.Calls()); n != 3 {
		t.Errorf("%d API calls, want 3: %v", n, f.srv.Calls())
	}
}

func TestMergeCheckRemovedAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ingress := "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  backend:\n    serviceName: web\n    servicePort: 80\n"
	head, base := f.pull(10, gittest.Files{"deploy/ingress.yaml": ingress})
	s := runStep(t, f.srv, f.workspace(), "pull_request", pullEvent(t, 10, head, base), map[string]string{"kubernetes-version": "v1.31.0"})
	if s.code != 1 {
		t.Fatalf("exit code %d, want 1; log:\n%s", s.code, s.log)
	}
	anns := f.srv.Annotations(checkRun(t, f.srv).ID)
	if len(anns) != 1 {
		t.Fatalf("annotations = %+v, want 1", anns)
	}
	a := anns[0]
	if a.Path != "deploy/ingress.yaml" || a.StartLine != 1 || a.StartColumn != 13 || !strings.Contains(a.Message, "networking.k8s.io/v1") {
		t.Errorf("annotation = %+v, want deploy/ingress.yaml:1:13 naming networking.k8s.io/v1", a)
	}
	if c := readJUnit(t, s)["apis/removed"]; c.Failure == nil {
		t.Error("JUnit apis/removed did not fail")
	}
}

func TestMergeCheckManyFindings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var b strings.Builder
	for i := range 120 {
		fmt.Fprintf(&b, "---\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: pdb-%03d\n  namespace: shop\nspec:\n  minAvailable: 1\n", i)
	}
	head, base := f.pull(11, gittest.Files{"deploy/pdbs.yaml": b.String()})
	s := runStep(t, f.srv, f.workspace(), "pull_request", pullEvent(t, 11, head, base), nil)
	if s.code != 1 {
		t.Fatalf("exit code %d, want 1; log:\n%s", s.code, s.log)
	}
	run := checkRun(t, f.srv)
	if n := len(f.srv.Annotations(run.ID)); n != 120 {
		t.Errorf("check run has %d annotations, want all 120", n)
	}
	var sizes []int
	for _, c := range f.srv.CallsTo("checks/update") {
		sizes = append(sizes, c.Annotations)
	}
	if fmt.Sprint(sizes) != "[50 50 20]" {
		t.Errorf("annotations per update request = %v, want [50 50 20]", sizes)
	}
	if s.outputs["findings"] != "120" {
		t.Errorf("output findings = %q, want 120", s.outputs["findings"])
	}
	if c := readJUnit(t, s)["apis/removed"]; c.Failure == nil || strings.Count(c.Failure.Data, "\n") != 119 {
		t.Errorf("JUnit apis/removed should carry 120 failure lines")
	}
}

func TestMergeCheckForkTokenFallsBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghemu.WithReadOnlyToken())
	ingress := "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n"
	head, base := f.pull(12, gittest.Files{"deploy/ingress.yaml": ingress})
	s := runStep(t, f.srv, f.workspace(), "pull_request", pullEvent(t, 12, head, base), nil)
	if s.code != 1 {
		t.Fatalf("exit code %d, want 1 (the finding, not the 403); log:\n%s", s.code, s.log)
	}
	if n := strings.Count(s.log, "The token may not write check runs"); n != 1 {
		t.Errorf("the fallback is explained %d times, want once:\n%s", n, s.log)
	}
	if !strings.Contains(s.log, "::error file=deploy/ingress.yaml,line=1,col=13") && !strings.Contains(s.log, "::error col=13,") {
		t.Errorf("no workflow-command annotation for the removed API:\n%s", s.log)
	}
	if len(f.srv.CheckRuns(repoName)) != 0 || s.outputs["check-run-id"] != "" {
		t.Errorf("check runs were created with a read-only token")
	}
	if !strings.Contains(s.summary, "apis/removed") {
		t.Errorf("step summary lacks the finding:\n%s", s.summary)
	}
}

func TestMergeCheckAPIDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	head, base := f.pull(13, gittest.Files{"deploy/ingress.yaml": "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n"})
	f.srv.Fail(ghemu.ServerError("POST", "/repos/{owner}/{repo}/check-runs", 0), ghemu.ServerError("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", 0))
	s := runInProcess(t, f.srv, f.workspace(), "pull_request", pullEvent(t, 13, head, base), ghapi.WithRetry(3, time.Second, time.Millisecond))
	if s.code != 1 {
		t.Fatalf("exit code %d, want 1: the finding decides, not the API; log:\n%s", s.code, s.log)
	}
	if c := readJUnit(t, s)["apis/removed"]; c.Failure == nil {
		t.Error("JUnit written while the API is down lacks the removed API")
	}
	if !strings.Contains(s.summary, "apis/removed") || !strings.Contains(s.summary, "GitHub mergeable: unknown (the API did not answer)") {
		t.Errorf("step summary:\n%s", s.summary)
	}
	if !strings.Contains(s.log, "GitHub's check-run API failed") || !strings.Contains(s.log, "::error ") {
		t.Errorf("no fallback annotations when the API is down:\n%s", s.log)
	}
	// Each request was tried 3 times.
	if n := len(f.srv.CallsTo("checks/create")); n != 3 {
		t.Errorf("checks/create tried %d times, want 3", n)
	}
}

func TestMergeCheckRetriesTransientErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	head, base := f.pull(14, gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 6", 1)})
	f.srv.Fail(
		ghemu.ServerError("POST", "/repos/{owner}/{repo}/check-runs", 2),
		ghemu.SecondaryRateLimit("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", 1, 3*time.Second),
		ghemu.PrimaryRateLimit("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", 1, time.Now().Add(-time.Second)),
	)
	s := runInProcess(t, f.srv, f.workspace(), "pull_request", pullEvent(t, 14, head, base), ghapi.WithRetry(5, time.Minute, time.Millisecond))
	if s.code != 0 {
		t.Fatalf("exit code %d, want 0; log:\n%s", s.code, s.log)
	}
	if run := checkRun(t, f.srv); run.Conclusion != "success" {
		t.Errorf("check run concluded %q after retries", run.Conclusion)
	}
	for _, want := range []string{"502", "rate limited (Retry-After 3s)", "primary rate limit exhausted"} {
		if !strings.Contains(s.log, want) {
			t.Errorf("log does not mention retrying after %q:\n%s", want, s.log)
		}
	}
}

func TestMergeCheckMergeableUnknown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	head, base := f.pull(15, gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 7", 1)})
	f.srv.UpdatePull(repoName, 15, func(p *ghemu.Pull) { p.MergeableNullFor = 100 })
	s := runInProcess(t, f.srv, f.workspace(), "pull_request", pullEvent(t, 15, head, base))
	if s.code != 0 {
		t.Fatalf("exit code %d, want 0 (unknown is not a failure); log:\n%s", s.code, s.log)
	}
	if n := len(f.srv.CallsTo("pulls/get")); n != 5 {
		t.Errorf("asked GitHub %d times, want the default 5", n)
	}
	if !strings.Contains(s.summary, "GitHub mergeable: unknown (still computing)") {
		t.Errorf("summary:\n%s", s.summary)
	}
}

func TestMergeCheckPushChecksEveryOpenPR(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	clean, _ := f.pull(21, gittest.Files{"deploy/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"})
	f.repos.Work.Git("checkout", "-q", "main")
	conflicting, _ := f.pull(22, gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 4", 1)})
	f.repos.Work.Git("checkout", "-q", "main")
	pushed := f.moveMain(gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 3", 1)})
	ev := loadEvent(t, "push.json")
	ev["ref"], ev["after"] = "refs/heads/main", pushed
	ev["repository"].(map[string]any)["full_name"] = repoName

	s := runStep(t, f.srv, f.workspace(), "push", ev, nil)
	if s.code != 1 {
		t.Fatalf("exit code %d, want 1; log:\n%s", s.code, s.log)
	}
	got := map[string]string{}
	for _, r := range f.srv.CheckRuns(repoName) {
		got[r.HeadSHA] = r.Conclusion
	}
	if got[clean] != "success" || got[conflicting] != "failure" || len(got) != 2 {
		t.Errorf("check runs by head = %v, want %s success and %s failure", got, clean[:8], conflicting[:8])
	}
	if ids := strings.Split(s.outputs["check-run-id"], ","); len(ids) != 2 {
		t.Errorf("output check-run-id = %q, want two ids", s.outputs["check-run-id"])
	}
	if !strings.Contains(s.summary, "PR #21") || !strings.Contains(s.summary, "PR #22") {
		t.Errorf("summary lacks a section per PR:\n%s", s.summary)
	}
}

func TestMergeCheckMergeGroup(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	head, base := f.pull(31, gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 4", 1)})
	f.repos.Work.Git("push", "-q", "origin", head+":refs/heads/gh-readonly-queue/main/pr-31-"+base[:40])
	ev := loadEvent(t, "merge_group.checks_requested.json")
	mg := ev["merge_group"].(map[string]any)
	mg["head_sha"], mg["head_ref"], mg["base_sha"], mg["base_ref"] = head, "refs/heads/gh-readonly-queue/main/pr-31-"+base[:40], base, "refs/heads/main"
	ev["repository"].(map[string]any)["full_name"] = repoName
	s := runStep(t, f.srv, f.workspace(), "merge_group", ev, nil)
	if s.code != 0 {
		t.Fatalf("exit code %d, want 0; log:\n%s", s.code, s.log)
	}
	if run := checkRun(t, f.srv); run.HeadSHA != head || run.Conclusion != "success" {
		t.Errorf("check run on %s concluded %q", run.HeadSHA, run.Conclusion)
	}
}

func TestMergeCheckBadInputsBeforeSideEffects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"unknown stage", map[string]string{"stage": "deploy"}, `input stage "deploy" is not a shipgate stage; use one of: auto-merge, build, history, merge-check, promote, rollback, sandbox, smoke`},
		{"promote without its inputs", map[string]string{"stage": "promote"}, `input environment is empty: name the environment you promote to`},
		{"bad version", map[string]string{"kubernetes-version": "1.x"}, `input kubernetes-version: "1.x" is not a version; use the form v1.31.0`},
		{"empty manifests", map[string]string{"manifests": " "}, "input manifests is empty"},
		{"missing config", map[string]string{"config": "nope.yml"}, "input config: "},
		{"empty token", map[string]string{"github-token": ""}, "input github-token is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			head, base := f.pull(40, gittest.Files{"deploy/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"})
			s := runStep(t, f.srv, f.workspace(), "pull_request", pullEvent(t, 40, head, base), tc.inputs)
			if s.code != 2 || !strings.Contains(s.log, "::error::") || !strings.Contains(s.log, tc.want) {
				t.Errorf("exit code %d, log:\n%s\nwant exit 2 and an error containing %q", s.code, s.log, tc.want)
			}
			if n := len(f.srv.Calls()); n != 0 {
				t.Errorf("%d API calls before the input was refused", n)
			}
		})
	}
}

// TestMergeCheckManifestsMatchingNothing runs merge-check on the command
// line with a manifests input that selects no file: an input error (exit
// 2) that names the input, what was looked for and where the YAML is, not
// a pass with nothing checked. Inputs that select files still run.
func TestMergeCheckManifestsMatchingNothing(t *testing.T) {
	t.Parallel()
	repos := gittest.New(t)
	repos.Work.Commit("main", gittest.Files{
		"deploy/web.yaml": webYAML, "k8s/extra/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", "README.md": "shop\n",
	}, "shop")
	repos.Work.Branch("feature", repos.Work.RevParse("refs/heads/main"))
	repos.Work.Commit("feature", gittest.Files{"deploy/web.yaml": strings.Replace(webYAML, "replicas: 2", "replicas: 4", 1)}, "more replicas")
	repos.Push("main")
	env := append(os.Environ(), "GITHUB_ACTIONS=")
	tests := []struct {
		manifests string
		wantCode  int
		want      string
	}{
		{"nope", 2, `input manifests "nope" matches no file in the merged tree: looked for a directory, file or glob "nope" relative to the repository root, holding YAML files (.yaml, .yml); the merged tree's YAML is in deploy, k8s/extra. Set manifests to where the Kubernetes YAML is, e.g. deploy`},
		{"deploy/*.yml", 2, `input manifests "deploy/*.yml" matches no file in the merged tree`},
		{"README.md", 0, `Input manifests "README.md" matches 1 file(s) in the merged tree, none of them YAML (.yaml, .yml): no manifest was checked.`},
		{"deploy", 0, "merge-check: success, 0 finding(s)"},
		{"**/cm.yaml", 0, "merge-check: success, 0 finding(s)"},
	}
	for _, tc := range tests {
		t.Run(tc.manifests, func(t *testing.T) {
			t.Parallel()
			reports := t.TempDir()
			code, out := execBinary(t, repos.Work.Dir, env, "merge-check", "--repo", repos.Work.Dir, "--base", "main", "--head", "feature",
				"--manifests", tc.manifests, "--report-dir", reports)
			md, err := os.ReadFile(filepath.Join(reports, "merge-check.md"))
			if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode || !strings.Contains(out+string(md), tc.want) {
				t.Errorf("exit code %d, output:\n%s\nreport:\n%s\nwant exit %d and %q", code, out, md, tc.wantCode, tc.want)
			}
		})
	}
}
