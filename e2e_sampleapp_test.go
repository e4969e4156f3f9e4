package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/gittest"
	"github.com/shipgate/shipgate/internal/monitor"
	"github.com/shipgate/shipgate/internal/podnet"
	"github.com/shipgate/shipgate/internal/provingground"
)

// TestSampleApp checks the sample app of the CI's chain without a cluster:
// its config is valid, its CGI answers as the tests' pod network does, and
// the paths ci.yml passes exist.
func TestSampleApp(t *testing.T) {
	t.Parallel()
	if _, err := config.Load(".", "testdata/app/shipgate.yml"); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct {
		name, uri, version, host string
		want                     podnet.Response
	}{
		{name: "plain", uri: "/cgi-bin/version", version: "v1", host: "sample-app-7d9-x2", want: podnet.Response{Version: "v1", Pod: "sample-app-7d9-x2", Path: "/cgi-bin/version"}},
		{name: "query left out", uri: "/cgi-bin/version?a=1", version: "v2", host: "p", want: podnet.Response{Version: "v2", Pod: "p", Path: "/cgi-bin/version"}},
		{name: "quotes cannot break the JSON", uri: `/cgi-bin/version/"}\`, version: `v"1`, host: "p\\", want: podnet.Response{Version: "v1", Pod: "p", Path: "/cgi-bin/version/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), "sh", "testdata/app/www/cgi-bin/version")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "REQUEST_URI=" + tc.uri, "VERSION=" + tc.version, "HOSTNAME=" + tc.host}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("CGI script: %v", err)
			}
			header, body, ok := strings.Cut(string(out), "\r\n\r\n")
			if !ok || header != "Content-Type: application/json" {
				t.Fatalf("CGI output %q: want the header Content-Type: application/json, a blank line, the body", out)
			}
			dec := json.NewDecoder(strings.NewReader(body))
			dec.DisallowUnknownFields()
			var got podnet.Response
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("body %q is not the pod network's answer: %v", body, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
	with := get(get(get(readYAML(t, ".github/workflows/ci.yml"), "jobs"), "pr-chain"), "with")
	for _, in := range []string{"manifests", "config", "context"} {
		v := get(with, in)
		if v == nil {
			t.Errorf("ci.yml's pr-chain job passes no %s", in)
			continue
		}
		if _, err := os.Stat(v.Value); err != nil {
			t.Errorf("ci.yml's pr-chain job: input %s: %v", in, err)
		}
	}
	if _, err := os.Stat(filepath.Join(get(with, "context").Value, "Dockerfile")); err != nil {
		t.Errorf("ci.yml's pr-chain job builds without a Dockerfile: %v", err)
	}
}

// TestSampleAppSandboxThenSmoke runs the chain's sandbox job on the sample
// app the way pr.yml does, against a real control plane with a pod network
// (provider existing instead of kind): sandbox with the index's image, the
// loaded step's name, then smoke in the same namespace with disruption —
// main's version rolled out to the pull request's under watch — and the
// post steps.
func TestSampleAppSandboxThenSmoke(t *testing.T) {
	t.Parallel()
	g := provingground.StartT(t)
	srv := ghemu.New(t)
	kubeconfig, err := os.ReadFile(g.Cluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	files := gittest.Files{}
	for _, f := range []string{"testdata/app/deploy/app.yaml", "testdata/app/shipgate.yml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(data)
	}
	repos := gittest.New(t)
	repos.Work.Commit("main", files, "sample app")
	repos.Push("main")
	baseSHA := repos.Work.RevParse("refs/heads/main")
	repos.Work.Branch("feature", baseSHA)
	headSHA := repos.Work.Commit("feature", gittest.Files{"app/main.txt": "a change to the app\n"}, "app change")
	repos.PullRequest(71, "feature")
	repos.PullRequestMerge(71, "main")
	ws := repos.Clone("refs/pull/71/merge", 1).Dir
	srv.AddPull(repoName, ghemu.Pull{Number: 71, HeadSHA: headSHA, BaseSHA: baseSHA, HeadRef: "feature", BaseRef: "main"})
	event := pullEvent(t, 71, headSHA, baseSHA)
	// The later steps reach the cluster through a kubeconfig file in the
	// workspace, as after kind.
	if err := os.WriteFile(filepath.Join(ws, "cluster.kubeconfig"), kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	const index = "ghcr.io/shipgate/shipgate/sample-app@sha256:25a6018e48dfcaee478f4a59af81157a437f15e6e140bf103f85a2e7cd0cbbf2"
	common := map[string]string{"manifests": "testdata/app/deploy", "config": "testdata/app/shipgate.yml", "timeout": "60s", "kubernetes-version": "v1.33.4"}
	inputs := func(kv ...string) map[string]string { return withPairs(common, kv...) }

	sandboxIn := inputs("stage", "sandbox", "provider", "existing", "kubeconfig", string(kubeconfig), "image", index)
	sandbox := runStep(t, srv, ws, "pull_request", event, sandboxIn, "GITHUB_RUN_ID=7100")
	if sandbox.code != 0 {
		t.Fatalf("sandbox exit code %d; log:\n%s", sandbox.code, sandbox.log)
	}
	wantPassing(t, readJUnit(t, sandbox), "deploy/ready", "health/basic", "service/healthz", "business/json/version")
	ns := sandbox.outputs["namespace"]

	script, env := stepScript(t, ".github/workflows/pr.yml", "sandbox", "loaded")
	code, log, loaded := runScript(t, script, withEnv(t, env, map[string]string{"IMAGE": index}))
	if code != 0 {
		t.Fatalf("loaded step exit code %d:\n%s", code, log)
	}

	smokeIn := inputs("stage", "smoke", "kubeconfig-path", "cluster.kubeconfig", "namespace", ns, "image", loaded["image"], "disruption", "true")
	smoke := runStep(t, srv, ws, "pull_request", event, smokeIn, "GITHUB_RUN_ID=7100")
	if smoke.code != 0 {
		t.Fatalf("smoke exit code %d; log:\n%s", smoke.code, smoke.log)
	}
	wantPassing(t, readJUnit(t, smoke), "rollout/base-deploy", "smoke/version",
		monitor.DisruptionCheck("sample-app", "new-connections"), monitor.DisruptionCheck("sample-app", "reused-connections"))
	dep, err := g.Client.AppsV1().Deployments(ns).Get(t.Context(), "sample-app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dep.Spec.Template.Spec.Containers[0].Image, "ghcr.io/shipgate/shipgate/sample-app:sha256-25a6018e48dfcaee478f4a59af81157a437f15e6e140bf103f85a2e7cd0cbbf2"; got != want {
		t.Errorf("after the rollout the app runs %s, want the loaded image %s", got, want)
	}

	// The post steps run in reverse order; the sandbox's deletes the namespace.
	for _, s := range []struct {
		main step
		in   map[string]string
	}{{smoke, smokeIn}, {sandbox, sandboxIn}} {
		if post := runPostStep(t, srv, ws, s.main, s.in); post.code != 0 {
			t.Fatalf("post step exit code %d:\n%s", post.code, post.log)
		}
	}
	if _, err := g.Client.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace %s after the post steps: %v, want it deleted", ns, err)
	}
}

// wantPassing fails unless every named JUnit case is there and passed.
func wantPassing(t *testing.T, cases map[string]junitCase, names ...string) {
	t.Helper()
	for _, name := range names {
		c, ok := cases[name]
		switch {
		case !ok:
			t.Errorf("JUnit has no case %q; it has %v", name, sortedNames(cases))
		case c.Failure != nil:
			t.Errorf("case %s failed: %s %s", name, c.Failure.Message, c.Failure.Data)
		case c.Skipped != nil:
			t.Errorf("case %s was skipped", name)
		}
	}
}
