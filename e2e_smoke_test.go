package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/gittest"
	"github.com/shipgate/shipgate/internal/monitor"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/provingground"
)

const smokeConfig = `smoke:
  checks:
    - name: version
      service: web
      path: /api/version
      deadline: 10s
      expect:
        json: [{path: .version, equals: %s}]
  disruption:
    endpoints:
      - name: web
        service: web
        path: /
`

// TestSmokeRolloutUnderWatch runs the smoke stage as the runner runs it on
// a pull request: the base branch's version is deployed into a fresh
// namespace of a real control plane with a pod network, the monitor
// watches the rollout to the pull request's version, and the smoke checks
// and command run after it.
func TestSmokeRolloutUnderWatch(t *testing.T) {
	t.Parallel()
	g, srv, kubeconfig := existingCluster(t)
	web, err := os.ReadFile(filepath.Join("testdata", "sandbox", "deploy", "web.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	web = []byte(withImage(imageRegistry(t) + "/example/web:1.4.0")(string(web)))
	tests := []struct {
		name     string
		strategy string // replaces the rolling update's maxUnavailable/maxSurge
		want     string // the version the smoke check expects
		command  string
		// wantFail maps failing JUnit cases to text their failure has.
		wantFail map[string]string
		// same leaves the pull request's manifests as the base's.
		same bool
		// wantSkipped are JUnit cases that must be skipped.
		wantSkipped []string
	}{
		{name: "rolling update with maxUnavailable 0 is zero-downtime", want: "v2"},
		{
			name:     "maxUnavailable 100% is measured as disruption",
			strategy: "      maxUnavailable: 100%\n      maxSurge: 0\n",
			want:     "v2",
			wantFail: map[string]string{
				monitor.DisruptionCheck("web", "new-connections"):    "exceeds max-disruption 0s",
				monitor.DisruptionCheck("web", "reused-connections"): "exceeds max-disruption 0s",
			},
		},
		{
			name:     "a failing smoke check names the request and the evidence; the command sees the cluster",
			want:     "v3",
			command:  `test -s "$KUBECONFIG" && echo "namespace $SHIPGATE_NAMESPACE" && exit 3`,
			wantFail: map[string]string{"smoke/version": `json .version = "v2", want "v3"`, "smoke-command": "exit"},
		},
		{
			name: "the same manifests on both sides roll nothing out: the disruption cases are skipped, not passed",
			want: "v1",
			same: true,
			wantSkipped: []string{monitor.DisruptionCheck("web", "new-connections"), monitor.DisruptionCheck("web", "reused-connections"),
				monitor.DeploymentCheck("web")},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := string(web)
			head := strings.Replace(base, "value: v1", "value: v2", 1)
			if tc.same {
				head = base
			}
			if tc.strategy != "" {
				head = strings.Replace(head, "      maxUnavailable: 0\n      maxSurge: 1\n", tc.strategy, 1)
				base = strings.Replace(base, "      maxUnavailable: 0\n      maxSurge: 1\n", tc.strategy, 1)
			}
			repos := gittest.New(t)
			cfg := fmt.Sprintf(smokeConfig, tc.want)
			repos.Work.Commit("main", gittest.Files{"deploy/web.yaml": base, "shipgate.yml": cfg}, "web v1")
			repos.Push("main")
			baseSHA := repos.Work.RevParse("refs/heads/main")
			repos.Work.Branch("feature", baseSHA)
			headSHA := repos.Work.Commit("feature", gittest.Files{"deploy/web.yaml": head, "NOTES.md": tc.name}, "web v2")
			repos.PullRequest(20+i, "feature")
			repos.PullRequestMerge(20+i, "main")
			ws := repos.Clone(fmt.Sprintf("refs/pull/%d/merge", 20+i), 1).Dir
			srv.AddPull(repoName, ghemu.Pull{Number: 20 + i, HeadSHA: headSHA, BaseSHA: baseSHA, HeadRef: "feature", BaseRef: "main"})

			runID := fmt.Sprint(6000 + i)
			inputs := map[string]string{
				"stage": "smoke", "kubeconfig": kubeconfig, "config": "shipgate.yml",
				"disruption": "true", "timeout": "60s", "smoke-command": tc.command,
			}
			s := runStep(t, srv, ws, "pull_request", pullEvent(t, 20+i, headSHA, baseSHA), inputs, "GITHUB_RUN_ID="+runID)
			wantCode := 0
			if tc.wantFail != nil {
				wantCode = 1
			}
			if s.code != wantCode {
				t.Fatalf("exit code %d, want %d; log:\n%s", s.code, wantCode, s.log)
			}
			names := []string{"rollout/base-deploy", "deploy/ready", "smoke/version",
				monitor.DisruptionCheck("web", "new-connections"), monitor.DisruptionCheck("web", "reused-connections"), monitor.DeploymentCheck("web")}
			if tc.command != "" {
				names = append(names, "smoke-command")
			}
			cases := readJUnit(t, s)
			checkCases(t, cases, names, tc.wantFail, true)
			for _, name := range tc.wantSkipped {
				if cases[name].Skipped == nil {
					t.Errorf("case %s is not skipped", name)
				}
			}
			if tc.same && !strings.Contains(s.summary, "Nothing changed") {
				t.Errorf("the summary does not say nothing changed:\n%s", s.summary)
			}
			if tc.command != "" && !strings.Contains(s.log, "namespace "+provider.NamespaceFor(runID+"-1-smoke")) {
				t.Errorf("the smoke command's output (with the namespace it was given) is not in the log:\n%s", s.log)
			}
			// The intervals and the timeline are in the report directory.
			f, err := os.Open(filepath.Join(ws, s.outputs["intervals-path"]))
			if err != nil {
				t.Fatalf("output intervals-path %q: %v", s.outputs["intervals-path"], err)
			}
			intervals, err := monitor.ReadJSONLines(f)
			f.Close()
			if err != nil || len(intervals) == 0 {
				t.Fatalf("intervals: %d, %v", len(intervals), err)
			}
			if html, err := os.ReadFile(filepath.Join(ws, s.outputs["timeline-path"])); err != nil || !strings.Contains(string(html), "deployment/web") {
				t.Errorf("output timeline-path %q: %v, or it does not show deployment/web", s.outputs["timeline-path"], err)
			}
			// The stage's own namespace is gone when it ends.
			ns := s.outputs["namespace"]
			if _, err := g.Client.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("namespace %q after the stage: %v, want it deleted", ns, err)
			}
		})
	}
}

// TestSmokeHeadFromGit runs `shipgate smoke` on the command line with
// --head naming a branch while the working tree holds main: the pull
// request's version rolled out is the branch's, read from git, not the
// working tree's.
func TestSmokeHeadFromGit(t *testing.T) {
	t.Parallel()
	g := provingground.StartT(t)
	web, err := os.ReadFile(filepath.Join("testdata", "sandbox", "deploy", "web.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := withImage(imageRegistry(t) + "/example/web:1.4.0")(string(web))
	head := strings.Replace(base, "value: v1", "value: v2", 1)
	repos := gittest.New(t)
	repos.Work.Commit("main", gittest.Files{"deploy/web.yaml": base, "shipgate.yml": fmt.Sprintf(smokeConfig, "v2")}, "web v1")
	repos.Work.Branch("feature", repos.Work.RevParse("refs/heads/main"))
	repos.Work.Commit("feature", gittest.Files{"deploy/web.yaml": head}, "web v2")
	repos.Push("main", "feature")
	ws := repos.Clone("main", 0)
	ws.Git("fetch", "--quiet", "origin", "+refs/heads/feature:refs/heads/feature")

	env := append(os.Environ(), "GITHUB_ACTIONS=")
	code, out := execBinary(t, ws.Dir, env, "smoke", "--repo", ws.Dir, "--base", "main", "--head", "feature",
		"--kubeconfig", g.Cluster.Kubeconfig, "--config", "shipgate.yml", "--disruption", "--timeout", "60s")
	if code != 0 {
		t.Fatalf("exit code %d, want 0 (the smoke check wants feature's v2); output:\n%s", code, out)
	}
	if !strings.Contains(out, "the pull request's version is feature") {
		t.Errorf("the log does not say the head was read from git:\n%s", out)
	}
}
