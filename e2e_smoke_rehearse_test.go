package main_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/gittest"
	"github.com/shipgate/shipgate/internal/podnet"
)

// rehearseConfig rehearses the rollback of a blue-green promotion with
// production-like checks and traffic.
const rehearseConfig = `smoke:
  rehearse-rollback: {at: %s, watch: 3s}
promote:
  interval: 100ms
  version-header: X-Version
  checks:
    service: [{service: web, path: /, requests: 2}]
  traffic:
    endpoints: [{name: web, service: web, path: /}]
    rate: 20
    timeout: 3s
  rollback:
    thresholds: {p95: 3s, error-rate: 30%%}
`

// TestSmokeRehearsesTheRollback rehearses, in a sandbox namespace, the
// promotion of the pull request's version over the base branch's and its
// rollback: a sound change passes; a change whose old version can no
// longer serve once the new one ran (as after a one-way migration) fails
// its gate.
func TestSmokeRehearsesTheRollback(t *testing.T) {
	t.Parallel()
	g, srv, kubeconfig := existingCluster(t)
	web, err := os.ReadFile(filepath.Join("testdata", "sandbox", "deploy", "web.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := withImage(imageRegistry(t) + "/example/web:1.4.0")(string(web))
	for i, tc := range []struct {
		name, at  string
		oldBreaks bool
		wantCode  int
		wantInLog string
	}{
		{name: "a sound change rolls back cleanly", at: "50%", wantCode: 0, wantInLog: "aborted at 50% of the 3s window"},
		{name: "a random abort point is printed with its seed", at: "random", wantCode: 0, wantInLog: "set smoke.rehearse-rollback.seed to replay it"},
		{name: "an old version that cannot serve any more fails the gate", at: "50%", oldBreaks: true, wantCode: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := fmt.Sprintf("smoke-rh-%d", i)
			if _, err := g.Client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			repos := gittest.New(t)
			repos.Work.Commit("main", gittest.Files{"deploy/web.yaml": base, "shipgate.yml": fmt.Sprintf(rehearseConfig, tc.at)}, "web v1")
			repos.Push("main")
			baseSHA := repos.Work.RevParse("refs/heads/main")
			repos.Work.Branch("feature", baseSHA)
			headSHA := repos.Work.Commit("feature", gittest.Files{"deploy/web.yaml": podVersion("v2")(base)}, "web v2")
			number := int(pullNumbers.Add(1))
			repos.PullRequest(number, "feature")
			repos.PullRequestMerge(number, "main")
			ws := repos.Clone(fmt.Sprintf("refs/pull/%d/merge", number), 1).Dir
			srv.AddPull(repoName, ghemu.Pull{Number: number, HeadSHA: headSHA, BaseSHA: baseSHA, HeadRef: "feature", BaseRef: "main"})
			if tc.oldBreaks {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				a := &promoteApp{t: t, g: g, ns: ns + "-rehearsal"}
				go a.whenSwitched(ctx, 2, func() { a.turnBad(1, podnet.Behavior{Version: "v1", FailRate: 1}) })
			}
			inputs := map[string]string{"stage": "smoke", "kubeconfig": kubeconfig, "namespace": ns, "config": "shipgate.yml", "timeout": "60s"}
			s := runStep(t, srv, ws, "pull_request", pullEvent(t, number, headSHA, baseSHA), inputs, fmt.Sprintf("GITHUB_RUN_ID=%d", 9500+i))
			if s.code != tc.wantCode {
				t.Fatalf("exit code %d, want %d; log:\n%s", s.code, tc.wantCode, s.log)
			}
			cases := readJUnit(t, s)
			names := []string{"rehearsal/base-live", "rehearsal/deploy", "rehearsal/switch", "rehearsal/abort", "rehearsal/rollback/traffic", "rehearsal/rollback/endpoints", "rehearsal/rollback/traffic-answered"}
			if tc.oldBreaks {
				checkCases(t, cases, names, map[string]string{"rehearsal/rollback/traffic-answered": "not answered by the restored revision"}, false)
				return
			}
			checkCases(t, cases, names, nil, true)
			md, _ := os.ReadFile(filepath.Join(s.ws, s.outputs["summary-path"]))
			if !strings.Contains(string(md), tc.wantInLog) {
				t.Errorf("the report lacks %q:\n%s", tc.wantInLog, md)
			}
		})
	}
}
