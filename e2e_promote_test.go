package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/gittest"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/podnet"
	"github.com/shipgate/shipgate/internal/provingground"
	"github.com/shipgate/shipgate/internal/stage/promote"
)

// promoteConfig watches a short window at 100 ms, samples production
// traffic through the Service and proves the rollback by X-Version.
const promoteConfig = `promote:
  app: shop
  watch: %s
  interval: 100ms
  scale-down-delay: 0s
  lock-duration: 3s
  version-header: X-Version
  checks:
    service: [{service: web, path: /, requests: 2}]
  traffic:
    endpoints: [{name: web, service: web, path: /}]
    rate: 20
    timeout: 3s
  rollback:
    consecutive-failures: %d
    thresholds: {window: 500ms%s}
`

// testThresholds completes the thresholds a test gives (more[0], e.g.
// ", p95: 500ms") with bounds loose enough for a machine running many
// control planes at once: a test about latency or errors sets its own.
func testThresholds(more []string) string {
	t := ""
	if len(more) > 0 {
		t = more[0]
	}
	if !strings.Contains(t, "p95") {
		t += ", p95: 3s"
	}
	if !strings.Contains(t, "error-rate") {
		t += ", error-rate: 30%"
	}
	return t
}

// pullNumbers numbers the pull requests of every promote test.
var pullNumbers = func() *atomic.Int64 { var n atomic.Int64; n.Store(500); return &n }()

// promoteApp is a namespace of production with a repository whose
// deploy/web.yaml runs the app at a version.
type promoteApp struct {
	t      testing.TB
	g      *provingground.Ground
	srv    *ghemu.Server
	kube   string
	ns     string
	repos  *gittest.Repos
	web    string
	cfg    string
	runID  int
	number int
}

func newPromoteApp(t testing.TB, g *provingground.Ground, srv *ghemu.Server, kubeconfig, ns, watchFor string, failures int, more ...string) *promoteApp {
	t.Helper()
	if _, err := g.Client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	web, err := os.ReadFile(filepath.Join("testdata", "sandbox", "deploy", "web.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	web = []byte(withImage(imageRegistry(t) + "/example/web:1.4.0")(string(web)))
	return &promoteApp{t: t, g: g, srv: srv, kube: kubeconfig, ns: ns, repos: gittest.New(t), web: string(web),
		cfg: fmt.Sprintf(promoteConfig, watchFor, failures, testThresholds(more)) + strings.Join(more[min(1, len(more)):], ""), runID: 7000 + len(ns)*100}
}

// commit puts version (and env edits) of the app on main and returns the
// workspace and the commit.
func (a *promoteApp) commit(version string, edits ...func(string) string) (string, string) {
	web := strings.Replace(a.web, "value: v1", "value: "+version, 1)
	for _, e := range edits {
		web = e(web)
	}
	a.number = int(pullNumbers.Add(1))
	sha := a.repos.Work.Commit("main", gittest.Files{"deploy/web.yaml": web, "shipgate.yml": a.cfg}, "web "+version)
	a.repos.Push("main")
	a.srv.AddPull(repoName, ghemu.Pull{Number: a.number, HeadSHA: sha, BaseRef: "main", HeadRef: "feature-" + version, Merged: true, MergeCommitSHA: sha})
	return a.repos.Clone("main", 1).Dir, sha
}

// promote runs the promote stage on a push of version to main.
func (a *promoteApp) promote(version string, edits ...func(string) string) step {
	a.t.Helper()
	ws, sha := a.commit(version, edits...)
	a.runID++
	ev := loadEvent(a.t, "push.json")
	ev["after"] = sha
	inputs := map[string]string{"stage": "promote", "environment": "production", "kubeconfig": a.kube, "namespace": a.ns, "config": "shipgate.yml", "timeout": "60s"}
	return runStep(a.t, a.srv, ws, "push", ev, inputs, fmt.Sprintf("GITHUB_RUN_ID=%d", a.runID), "GITHUB_SHA="+sha)
}

// live promotes version with no watched window, so a test starts from a
// live revision without waiting for one.
func (a *promoteApp) live(version string) step {
	a.t.Helper()
	cfg := a.cfg
	a.cfg = regexp.MustCompile(`(?m)^  watch: .*$`).ReplaceAllString(cfg, "  watch: 0s")
	defer func() { a.cfg = cfg }()
	s := a.promote(version)
	if s.code != 0 {
		a.t.Fatalf("promote %s: exit code %d, want 0; log:\n%s", version, s.code, s.log)
	}
	return s
}

// selected is the revision the production Service selects.
func (a *promoteApp) selected() int {
	a.t.Helper()
	n, err := bluegreen.SelectedRevision(a.t.Context(), a.g.Client, a.ns, "web")
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}

func (a *promoteApp) revisions() map[int]history.State {
	a.t.Helper()
	all, err := history.NewStore(a.g.Client, a.ns, "shop", "production").List(a.t.Context())
	if err != nil {
		a.t.Fatal(err)
	}
	out := map[int]history.State{}
	for _, r := range all {
		out[r.Number] = r.State
	}
	return out
}

func (a *promoteApp) replicas(name string) int32 {
	a.t.Helper()
	d, err := a.g.Client.AppsV1().Deployments(a.ns).Get(a.t.Context(), name, metav1.GetOptions{})
	if err != nil {
		a.t.Fatal(err)
	}
	return *d.Spec.Replicas
}

// whenSwitched calls fn once the production Service selects rev, within
// two minutes.
func (a *promoteApp) whenSwitched(ctx context.Context, rev int, fn func()) {
	a.whenService(ctx, fmt.Sprintf("select revision %d", rev), func(sel map[string]string) bool { return sel[bluegreen.LabelRevision] == fmt.Sprint(rev) }, fn)
}

// whenService calls fn once the production Service's selector is as want
// says (what names it for the error), within two minutes.
func (a *promoteApp) whenService(ctx context.Context, what string, want func(selector map[string]string) bool, fn func()) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	w, err := a.g.Client.CoreV1().Services(a.ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=web"})
	if err != nil {
		a.t.Error(err)
		return
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if s, ok := ev.Object.(*corev1.Service); ok && ev.Type != watch.Deleted && want(s.Spec.Selector) {
			fn()
			return
		}
	}
	if ctx.Err() == context.DeadlineExceeded {
		a.t.Errorf("service %s/web did not %s within 2 minutes", a.ns, what)
	}
}

// turnBad makes revision rev's pods answer with b from now on.
func (a *promoteApp) turnBad(rev int, b podnet.Behavior) {
	pods, err := a.g.Client.CoreV1().Pods(a.ns).List(context.Background(), metav1.ListOptions{LabelSelector: bluegreen.LabelRevision + "=" + fmt.Sprint(rev)})
	if err != nil {
		a.t.Error(err)
		return
	}
	for _, p := range pods.Items {
		if err := a.g.Pods.SetBehavior(a.ns, p.Name, b); err != nil {
			a.t.Errorf("turn pod %s bad: %v", p.Name, err)
		}
	}
}

func wantCode(t *testing.T, s step, code int) {
	t.Helper()
	if s.code != code {
		t.Fatalf("exit code %d, want %d; log:\n%s", s.code, code, s.log)
	}
}

// TestPromoteBlueGreen promotes a real app on a real control plane with a
// pod network: production traffic is sampled through the Service while
// the selector moves, and each rollback is proven by which revision
// answers.
func TestPromoteBlueGreen(t *testing.T) {
	t.Parallel()
	g, srv, kubeconfig := existingCluster(t)

	t.Run("first promotion, a good second one, an idempotent re-run", func(t *testing.T) {
		t.Parallel()
		a := newPromoteApp(t, g, srv, kubeconfig, "prod-good", "1s", 5)
		s := a.promote("v1")
		wantCode(t, s, 0)
		if !strings.Contains(s.log, "first promotion") || s.outputs["revision"] != "1" || s.outputs["previous-revision"] != "" {
			t.Errorf("first promotion: outputs %v; log:\n%s", s.outputs, s.log)
		}
		s = a.promote("v2")
		wantCode(t, s, 0)
		if s.outputs["revision"] != "2" || s.outputs["previous-revision"] != "1" || s.outputs["rolled-back"] != "false" {
			t.Errorf("outputs %v", s.outputs)
		}
		if got := a.selected(); got != 2 {
			t.Errorf("the Service selects revision %d, want 2", got)
		}
		if got := a.replicas("web-r1"); got != 0 {
			t.Errorf("web-r1 has %d replicas after the promotion, want 0", got)
		}
		if got := a.revisions(); got[1] != history.Good || got[2] != history.Good {
			t.Errorf("history %v, want 1 and 2 good", got)
		}
		cases := readJUnit(t, s)
		checkCases(t, cases, []string{"promote/manifests", "promote/access", "promote/lock", "promote/history", "promote/deploy", "promote/preview",
			"promote/switch", "promote/watch", "promote/scale-down", "rule/consecutive-failures", "rule/threshold/error-rate", "rule/threshold/p95", "rule/threshold/restarts"}, nil, true)
		for _, f := range []string{"timeline-path", "intervals-path", "rules-path"} {
			if fi, err := os.Stat(filepath.Join(s.ws, s.outputs[f])); err != nil || fi.Size() == 0 {
				t.Errorf("output %s = %q: %v", f, s.outputs[f], err)
			}
		}
		if !strings.Contains(s.summary, "### Rollback rules") {
			t.Errorf("the step summary has no rules table:\n%s", s.summary)
		}
		// The Deployments page: revision 2 success, revision 1 inactive.
		states := map[string]string{}
		for _, d := range srv.Deployments(repoName) {
			var payload struct {
				App      string
				Revision int
			}
			if d.Environment != "production" || json.Unmarshal(d.Payload, &payload) != nil || payload.App != "shop" {
				continue
			}
			if st := srv.DeploymentStatuses(d.ID); len(st) > 0 {
				states[fmt.Sprint(payload.Revision)] = st[len(st)-1].State
			}
		}
		if states["2"] != "success" || states["1"] != "inactive" {
			t.Errorf("deployment states by revision = %v, want 2 success and 1 inactive", states)
		}
		// The same change again: nothing to do.
		a.runID++
		ws := a.repos.Clone("main", 1).Dir
		ev := loadEvent(t, "push.json")
		s = runStep(t, srv, ws, "push", ev, map[string]string{"stage": "promote", "environment": "production", "kubeconfig": kubeconfig, "namespace": a.ns, "config": "shipgate.yml"}, fmt.Sprintf("GITHUB_RUN_ID=%d", a.runID))
		wantCode(t, s, 0)
		if !strings.Contains(s.log, "nothing to promote") || len(a.revisions()) != 2 {
			t.Errorf("re-run: revisions %v; log:\n%s", a.revisions(), s.log)
		}
	})

	t.Run("a revision that fails its preview checks is never switched", func(t *testing.T) {
		t.Parallel()
		a := newPromoteApp(t, g, srv, kubeconfig, "prod-preview", "1s", 5)
		wantCode(t, a.promote("v1"), 0)
		s := a.promote("v2", podEnv("FAIL_RATE", "1"))
		wantCode(t, s, 1)
		checkCases(t, readJUnit(t, s), []string{"promote/preview"}, map[string]string{"promote/preview": "traffic never moved"}, false)
		if got := a.selected(); got != 1 {
			t.Errorf("the Service selects revision %d, want 1", got)
		}
		if got := a.replicas("web-r2"); got != 0 {
			t.Errorf("web-r2 has %d replicas, want 0", got)
		}
		if got := a.revisions(); got[2] != history.Failed {
			t.Errorf("history %v, want revision 2 failed", got)
		}
	})

	for _, tc := range []struct {
		name, ns   string
		failures   int
		thresholds string
		bad        podnet.Behavior
		rule       string
	}{
		{name: "errors after the switch roll back on consecutive failures", ns: "prod-errors", failures: 5, thresholds: ", error-rate: 100%", bad: podnet.Behavior{Version: "v2", FailRate: 1}, rule: "rule/consecutive-failures"},
		{name: "errors after the switch roll back on the error-rate threshold", ns: "prod-rate", failures: 1000, thresholds: ", error-rate: 1%", bad: podnet.Behavior{Version: "v2", FailRate: 1}, rule: "rule/threshold/error-rate"},
		{name: "latency after the switch rolls back on the p95 threshold", ns: "prod-slow", failures: 1000, thresholds: ", p95: 1s", bad: podnet.Behavior{Version: "v2", Latency: 2 * time.Second}, rule: "rule/threshold/p95"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newPromoteApp(t, g, srv, kubeconfig, tc.ns, "30s", tc.failures, tc.thresholds)
			a.live("v1")
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go a.whenSwitched(ctx, 2, func() { a.turnBad(2, tc.bad) })
			s := a.promote("v2")
			wantCode(t, s, 1)
			cases := readJUnit(t, s)
			checkCases(t, cases, []string{tc.rule, "rollback/traffic", "rollback/pods-ready", "rollback/endpoints", "rollback/traffic-answered", "rollback/checks"},
				map[string]string{tc.rule: "fired"}, true)
			if got := a.selected(); got != 1 {
				t.Errorf("the Service selects revision %d after the rollback, want 1", got)
			}
			if got := a.replicas("web-r2"); got != 0 {
				t.Errorf("web-r2 has %d replicas after the rollback, want 0", got)
			}
			if got := a.revisions(); got[2] != history.RolledBack || got[1] != history.Good {
				t.Errorf("history %v, want 2 rolled back and 1 good", got)
			}
			if s.outputs["rolled-back"] != "true" || !strings.Contains(s.log, "production was on revision 2 for") {
				t.Errorf("outputs %v; log:\n%s", s.outputs, s.log)
			}
			comments := srv.Comments(repoName, a.number)
			if len(comments) != 1 || !strings.Contains(comments[0].Body, "rolled back") {
				t.Errorf("comments on #%d: %+v", a.number, comments)
			}
		})
	}

	t.Run("two promotions at once: one is refused and names the other", func(t *testing.T) {
		t.Parallel()
		a := newPromoteApp(t, g, srv, kubeconfig, "prod-twice", "3s", 5)
		wantCode(t, a.promote("v1"), 0)
		ws, sha := a.commit("v2")
		inputs := map[string]string{"stage": "promote", "environment": "production", "kubeconfig": kubeconfig, "namespace": a.ns, "config": "shipgate.yml", "timeout": "60s"}
		done := make(chan step, 2)
		for i := range 2 {
			go func() {
				done <- runStep(t, srv, ws, "push", loadEvent(t, "push.json"), inputs, fmt.Sprintf("GITHUB_RUN_ID=%d", 9900+i), "GITHUB_SHA="+sha)
			}()
		}
		codes := map[int]step{}
		for range 2 {
			s := <-done
			codes[s.code] = s
		}
		refused, ok := codes[2]
		if _, won := codes[0]; !ok || !won {
			t.Fatalf("exit codes %v, want one 0 and one 2", keys(codes))
		}
		if !strings.Contains(refused.log, "another promotion of shop to production is running") || !strings.Contains(refused.log, "actions/runs/99") {
			t.Errorf("the refused run does not name the holder:\n%s", refused.log)
		}
	})
}

func keys[K comparable, V any](m map[K]V) []K {
	var out []K
	for k := range m {
		out = append(out, k)
	}
	return out
}

// promoteAsync starts the promote stage on a push of version to main and
// returns the running process and a channel with its step once it ends.
func (a *promoteApp) promoteAsync(version string, edits ...func(string) string) (<-chan *os.Process, <-chan step) {
	a.t.Helper()
	ws, sha := a.commit(version, edits...)
	a.runID++
	procs := make(chan *os.Process, 1)
	done := make(chan step, 1)
	inputs := map[string]string{"stage": "promote", "environment": "production", "kubeconfig": a.kube, "namespace": a.ns, "config": "shipgate.yml", "timeout": "60s"}
	runID := a.runID
	go func() {
		done <- runWith(a.t, a.srv, ws, "push", loadEvent(a.t, "push.json"), inputs, func(env []string, _ string) (int, string) {
			cmd := exec.Command(shipgate(a.t))
			cmd.Dir, cmd.Env = ws, append(env, fmt.Sprintf("GITHUB_RUN_ID=%d", runID), "GITHUB_SHA="+sha)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				a.t.Errorf("start shipgate: %v", err)
				return -1, ""
			}
			procs <- cmd.Process
			err := cmd.Wait()
			if ee, ok := err.(*exec.ExitError); ok {
				return ee.ExitCode(), out.String()
			}
			return 0, out.String()
		})
	}()
	return procs, done
}

// TestPromoteInterrupted stops promotions the way runners do: a runner
// that dies (SIGKILL) leaves a half-made promotion the next run repairs;
// a cancelled job (SIGTERM) inside the watched window rolls back.
func TestPromoteInterrupted(t *testing.T) {
	t.Parallel()
	g, srv, kubeconfig := existingCluster(t)

	t.Run("a run killed mid-promote is repaired by the next", func(t *testing.T) {
		t.Parallel()
		a := newPromoteApp(t, g, srv, kubeconfig, "prod-killed", "1s", 5, "", "  lock-timeout: 20s\n")
		wantCode(t, a.promote("v1"), 0)
		mark := filepath.Join(t.TempDir(), "pre-promote-started")
		base := a.cfg
		a.cfg += fmt.Sprintf("  pre-promote: touch %s && sleep 60\n", mark)
		procs, done := a.promoteAsync("v2")
		proc := <-procs
		waitFile(t, mark, 30*time.Second)
		if err := proc.Kill(); err != nil {
			t.Fatal(err)
		}
		<-done
		// Half a switch: production pointed at revision 2, which runs nothing.
		patch := fmt.Sprintf(`{"spec":{"selector":{%q:"2"}}}`, bluegreen.LabelRevision)
		if _, err := g.Client.CoreV1().Services(a.ns).Patch(t.Context(), "web", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		a.cfg = base
		s := a.promote("v3")
		wantCode(t, s, 0)
		if !strings.Contains(s.log, "Revision 2 was left promoting by a run that stopped") {
			t.Errorf("the repair is not reported:\n%s", s.log)
		}
		if got := a.revisions(); got[2] != history.Failed || got[3] != history.Good {
			t.Errorf("history %v, want 2 failed and 3 good", got)
		}
		if got := a.selected(); got != 3 {
			t.Errorf("the Service selects revision %d, want 3", got)
		}
	})

	t.Run("a job cancelled inside the watched window rolls back", func(t *testing.T) {
		t.Parallel()
		a := newPromoteApp(t, g, srv, kubeconfig, "prod-cancel", "30s", 5)
		a.live("v1")
		procs, done := a.promoteAsync("v2")
		proc := <-procs
		a.whenSwitched(t.Context(), 2, func() {
			time.Sleep(300 * time.Millisecond) // inside the window
			if err := proc.Signal(syscall.SIGTERM); err != nil {
				t.Error(err)
			}
		})
		s := <-done
		wantCode(t, s, 2)
		if got := a.selected(); got != 1 {
			t.Errorf("the Service selects revision %d after the cancelled job, want 1", got)
		}
		if got := a.revisions(); got[2] != history.RolledBack {
			t.Errorf("history %v, want 2 rolled back", got)
		}
		checkCases(t, readJUnit(t, s), []string{"promote/watch", "rollback/traffic", "rollback/endpoints", "rollback/traffic-answered"},
			map[string]string{"promote/watch": "cancelled"}, true)
	})
}

// TestPromotePostStep kills the main step inside the watched window, as a
// runner does when a cancelled step does not stop in time: the action's
// post step rolls production back.
func TestPromotePostStep(t *testing.T) {
	t.Parallel()
	g, srv, kubeconfig := existingCluster(t)
	a := newPromoteApp(t, g, srv, kubeconfig, "prod-post", "60s", 5, "", "  lock-timeout: 20s\n")
	a.live("v1")
	procs, done := a.promoteAsync("v2")
	proc := <-procs
	a.whenSwitched(t.Context(), 2, func() {
		time.Sleep(300 * time.Millisecond)
		if err := proc.Kill(); err != nil {
			t.Error(err)
		}
	})
	main := <-done
	if main.state[promote.StateKey] != "2" {
		t.Fatalf("the main step saved %q for the post step, want revision 2; log:\n%s", main.state[promote.StateKey], main.log)
	}
	if got := a.selected(); got != 2 {
		t.Fatalf("after the kill the Service selects %d, want 2 (nothing rolled back yet)", got)
	}
	inputs := map[string]string{"stage": "promote", "environment": "production", "kubeconfig": kubeconfig, "namespace": a.ns, "config": "shipgate.yml", "timeout": "60s"}
	post := runPostStep(t, srv, main.ws, main, inputs)
	wantCode(t, post, 0)
	if got := a.selected(); got != 1 {
		t.Errorf("after the post step the Service selects %d, want 1; log:\n%s", got, post.log)
	}
	if got := a.revisions(); got[2] != history.RolledBack {
		t.Errorf("history %v, want 2 rolled back", got)
	}
	// A finished promotion leaves nothing for the post step.
	if s := a.live("v3"); s.state[promote.StateKey] != "" {
		t.Errorf("a finished promotion saved %q for the post step", s.state[promote.StateKey])
	}
}

// waitFile waits for a file to exist.
func waitFile(t *testing.T, p string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(p); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s", p, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rollback runs the rollback stage from a workflow_dispatch.
func (a *promoteApp) rollback(inputs map[string]string) step {
	a.t.Helper()
	a.runID++
	in := map[string]string{"stage": "rollback", "environment": "production", "kubeconfig": a.kube, "namespace": a.ns, "config": "shipgate.yml", "timeout": "60s"}
	for k, v := range inputs {
		in[k] = v
	}
	ws := a.repos.Clone("main", 1).Dir
	return runStep(a.t, a.srv, ws, "workflow_dispatch", loadEvent(a.t, "workflow_dispatch.json"), in, fmt.Sprintf("GITHUB_RUN_ID=%d", a.runID))
}

// TestRollbackStage rolls production back by hand, as a person does from
// the Actions tab.
func TestRollbackStage(t *testing.T) {
	t.Parallel()
	g, srv, kubeconfig := existingCluster(t)

	t.Run("to the last good revision, scaled down since, then further back fast-tracked", func(t *testing.T) {
		t.Parallel()
		a := newPromoteApp(t, g, srv, kubeconfig, "prod-manual", "500ms", 5)
		for _, v := range []string{"v1", "v2", "v3"} {
			wantCode(t, a.promote(v), 0)
		}
		if got := a.replicas("web-r2"); got != 0 {
			t.Fatalf("web-r2 has %d replicas before the rollback, want 0 (scaled down after revision 3)", got)
		}
		s := a.rollback(map[string]string{"reason": "checkout errors"})
		wantCode(t, s, 0)
		checkCases(t, readJUnit(t, s), []string{"rollback/target", "rollback/traffic", "rollback/pods-ready", "rollback/endpoints", "rollback/traffic-answered", "rollback/checks"}, nil, true)
		if got := a.selected(); got != 2 {
			t.Errorf("the Service selects revision %d, want 2", got)
		}
		if !strings.Contains(s.log, "was scaled down: its Deployments are applied again and waited for before any traffic moves") {
			t.Errorf("the scale-up is not reported:\n%s", s.log)
		}
		if got := a.revisions(); got[3] != history.RolledBack || got[2] != history.Good {
			t.Errorf("history %v, want 3 rolled back, 2 good", got)
		}
		if got := a.replicas("web-r3"); got != 0 {
			t.Errorf("web-r3 has %d replicas after the rollback, want 0", got)
		}
		s = a.rollback(map[string]string{"fast-track": "true", "reason": "still burning"})
		wantCode(t, s, 0)
		cases := readJUnit(t, s)
		if c := cases["rollback/checks"]; c.Skipped == nil {
			t.Errorf("fast-track ran the checks: %+v", c)
		}
		checkCases(t, cases, []string{"rollback/traffic", "rollback/traffic-answered"}, nil, true)
		if got := a.selected(); got != 1 {
			t.Errorf("the Service selects revision %d, want 1", got)
		}
		// Already there.
		s = a.rollback(map[string]string{"to-revision": "1"})
		wantCode(t, s, 0)
		if !strings.Contains(s.log, "Nothing to roll back: production already runs revision 1") {
			t.Errorf("log:\n%s", s.log)
		}
		// A revision that does not exist names those that do.
		s = a.rollback(map[string]string{"to-revision": "9"})
		wantCode(t, s, 2)
		if !strings.Contains(s.log, "to-revision 9") || !strings.Contains(s.log, "1, 2, 3") {
			t.Errorf("log:\n%s", s.log)
		}
		// The history and the pipeline figures.
		a.runID++
		s = runStep(t, srv, a.repos.Clone("main", 1).Dir, "workflow_dispatch", loadEvent(t, "workflow_dispatch.json"),
			map[string]string{"stage": "history", "environment": "production", "kubeconfig": kubeconfig, "namespace": a.ns, "config": "shipgate.yml"},
			fmt.Sprintf("GITHUB_RUN_ID=%d", a.runID))
		wantCode(t, s, 0)
		data, err := os.ReadFile(filepath.Join(s.ws, s.outputs["history-path"]))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"3,rolled-back,blue-green", "2,rolled-back,blue-green", "1,good,blue-green", "promotions,3", "rollbacks,2"} {
			if !strings.Contains(string(data), want) {
				t.Errorf("history.csv lacks %q:\n%s", want, data)
			}
		}
		if !strings.Contains(s.summary, "| 3 | rolled-back |") || !strings.Contains(s.summary, "Last 30 days: 3 promotion(s)") {
			t.Errorf("summary:\n%s", s.summary)
		}
	})

	t.Run("no history is a clear error", func(t *testing.T) {
		t.Parallel()
		a := newPromoteApp(t, g, srv, kubeconfig, "prod-empty", "1s", 5)
		a.commit("v1")
		s := a.rollback(nil)
		wantCode(t, s, 2)
		if !strings.Contains(s.log, "there is no revision history of shop in production") {
			t.Errorf("log:\n%s", s.log)
		}
	})
}
