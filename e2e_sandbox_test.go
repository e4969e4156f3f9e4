package main_test

import (
	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/provingground"
)

// sandboxWorkspace copies testdata/sandbox into a new workspace, with
// edits applied to deploy/web.yaml.
func sandboxWorkspace(t testing.TB, edits ...func(string) string) string {
	t.Helper()
	ws := t.TempDir()
	for _, f := range []string{"deploy/web.yaml", "shipgate.yml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "sandbox", f))
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		for _, edit := range edits {
			if f == "deploy/web.yaml" && edit != nil {
				text = edit(text)
			}
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(ws, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ws, f), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

// testImage is the test app's image as testdata/sandbox names it.
const testImage = "ghcr.io/example/web:1.4.0"

// imageRegistry is go-containerregistry's registry on loopback holding the
// test app's image as <host>/example/web:1.4.0; it returns the host. The
// sandbox looks images up before deploying, and tests reach no registry
// but this one.
func imageRegistry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/example/web:1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return host
}

// withImage gives the test app's container the image ref.
func withImage(ref string) func(string) string {
	return func(s string) string { return strings.Replace(s, "image: "+testImage, "image: "+ref, 1) }
}

// podLabel and podEnv edit the test app's pod template.
func podLabel(k, v string) func(string) string {
	return func(s string) string {
		return strings.Replace(s, "      labels:\n        app: web\n", fmt.Sprintf("      labels:\n        app: web\n        %s: %s\n", k, v), 1)
	}
}

func podEnv(k, v string) func(string) string {
	return func(s string) string {
		return strings.Replace(s, "          env:\n", fmt.Sprintf("          env:\n            - name: %s\n              value: %q\n", k, v), 1)
	}
}

// runPostStep runs the action's post-entrypoint with what the main step
// saved.
func runPostStep(t testing.TB, srv *ghemu.Server, ws string, main step, inputs map[string]string, extraEnv ...string) step {
	t.Helper()
	return runWith(t, srv, ws, "pull_request", loadEvent(t, "pull_request.opened.json"), inputs, func(env []string, tmp string) (int, string) {
		for k, v := range main.state {
			env = append(env, "STATE_"+k+"="+v)
		}
		return execBinary(t, ws, append(env, extraEnv...), "post")
	})
}

func fakeSHA(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestSandboxExistingCluster runs the sandbox stage as the runner runs it
// against a real control plane with a pod network (provider existing), one
// run per case in its own namespace, then the post step.
func TestSandboxExistingCluster(t *testing.T) {
	t.Parallel()
	g, srv, kubeconfig := existingCluster(t)
	host := imageRegistry(t)
	before := []string{"deploy/manifests", "deploy/images", "deploy/apply", "deploy/ready"}
	tests := []struct {
		name string
		edit func(string) string
		keep bool
		// wantFail maps each failing JUnit case to text its failure has.
		wantFail map[string]string
		// wantAt is the path:line of an annotation the check run must have.
		wantAt string
		// noCluster says the run must make nothing: the manifests cannot
		// be deployed, which is known before any namespace exists.
		noCluster bool
		// cases are the JUnit cases to expect; all tiers when empty.
		cases []string
	}{
		{name: "healthy app passes every tier"},
		{
			name:     "pods never ready fail at the Deployment's line",
			edit:     podLabel("shipgate.test/fault", "never-ready"),
			wantFail: map[string]string{"deploy/ready": "deployment/web", "health/basic": "not ready"},
			wantAt:   "deploy/web.yaml:4",
		},
		{
			name:     "crash loop reports the restarts",
			edit:     podLabel("shipgate.test/fault", "crashloop"),
			wantFail: map[string]string{"health/basic": "restart"},
			wantAt:   "deploy/web.yaml:4",
		},
		{
			name:     "slow pods fail the p95 tier with the measured percentile",
			edit:     podEnv("LATENCY", "450ms"),
			wantFail: map[string]string{"service/web": "p95"},
		},
		{
			name:     "business JSON check fails on the wrong value",
			edit:     func(s string) string { return strings.Replace(s, "value: v1", "value: v2", 1) },
			wantFail: map[string]string{"business/json/version": `v2`},
		},
		{
			name:     "keep-on-failure keeps the namespace",
			edit:     podLabel("shipgate.test/fault", "never-ready"),
			keep:     true,
			wantFail: map[string]string{"deploy/ready": "deployment/web"},
		},
		{
			name:     "an object the API server rejects fails at the field's line",
			edit:     func(s string) string { return strings.Replace(s, "replicas: 2", "replicas: -2", 1) },
			wantFail: map[string]string{"deploy/apply": "spec.replicas"},
			wantAt:   "deploy/web.yaml:11",
			cases:    before,
		},
		{
			name:      "an image that does not exist fails at its line before any cluster",
			edit:      withImage(host + "/never/exists:x"),
			wantFail:  map[string]string{"deploy/images": "does not exist"},
			wantAt:    "deploy/web.yaml:27",
			noCluster: true,
			cases:     before,
		},
		{
			name:      "a YAML error fails at its line before any cluster",
			edit:      func(s string) string { return strings.Replace(s, "replicas: 2", "replicas: [2", 1) },
			wantFail:  map[string]string{"deploy/manifests": "YAML"},
			wantAt:    "deploy/web.yaml:11",
			noCluster: true,
			cases:     []string{"deploy/manifests"},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runID := fmt.Sprint(5000 + i)
			ns := provider.NamespaceFor(runID + "-1")
			ws := sandboxWorkspace(t, tc.edit, withImage(host+"/example/web:1.4.0"))
			head := fakeSHA(tc.name)
			ev := pullEvent(t, 10+i, head, fakeSHA("base"))
			srv.AddPull(repoName, ghemu.Pull{Number: 10 + i, HeadSHA: head, BaseSHA: fakeSHA("base"), HeadRef: "feature", BaseRef: "main"})
			inputs := map[string]string{
				"stage": "sandbox", "provider": "existing", "kubeconfig": kubeconfig,
				"config": "shipgate.yml", "timeout": "60s", "keep-on-failure": fmt.Sprint(tc.keep),
			}
			s := runStep(t, srv, ws, "pull_request", ev, inputs, "GITHUB_RUN_ID="+runID)
			// The runner hides masked values; the token shows nowhere else.
			token := g.Cluster.Config.BearerToken
			if !strings.Contains(s.log, "::add-mask::"+token+"\n") {
				t.Errorf("the cluster's token %q is not masked", token)
			}
			if strings.Count(s.log, token) != 1 {
				t.Errorf("the cluster's token appears in the log beyond its mask")
			}
			wantCode := 0
			if tc.wantFail != nil {
				wantCode = 1
			}
			if s.code != wantCode {
				t.Fatalf("exit code %d, want %d; log:\n%s", s.code, wantCode, s.log)
			}
			if s.outputs["namespace"] != ns && !tc.noCluster {
				t.Errorf("output namespace = %q, want %q", s.outputs["namespace"], ns)
			}
			// A failure may fail later tiers too; a healthy run fails none.
			cases := tc.cases
			if cases == nil {
				cases = append(slices.Clone(before), "health/basic", "service/web", "business/json/version")
			}
			checkCases(t, readJUnit(t, s), cases, tc.wantFail, tc.wantFail == nil)
			if testing.Verbose() {
				t.Log(s.log)
			}
			cr := checkRunFor(t, srv, head)
			if cr.Name != "shipgate / sandbox (v1.33.0)" || cr.Status != "completed" {
				t.Errorf("check run %q is %s", cr.Name, cr.Status)
			}
			if tc.wantAt != "" && !hasAnnotationAt(srv.Annotations(cr.ID), tc.wantAt) {
				t.Errorf("no annotation at %s; annotations: %+v", tc.wantAt, srv.Annotations(cr.ID))
			}
			if tc.noCluster {
				if _, err := g.Client.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
					t.Errorf("namespace %s: %v, want none made", ns, err)
				}
				if st := s.state[provider.StateKey]; st != "" {
					t.Errorf("the step saved cluster handles %s, want none", st)
				}
				return
			}
			// In Actions the namespace stays for later steps; the post step
			// removes it unless it was kept.
			if _, err := g.Client.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); err != nil {
				t.Fatalf("namespace %s after the main step: %v", ns, err)
			}
			post := runPostStep(t, srv, ws, s, inputs)
			if post.code != 0 {
				t.Fatalf("post step exit code %d:\n%s", post.code, post.log)
			}
			_, err := g.Client.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{})
			switch {
			case tc.keep && err != nil:
				t.Errorf("keep-on-failure: namespace %s is gone after the post step: %v", ns, err)
			case !tc.keep && !apierrors.IsNotFound(err):
				t.Errorf("namespace %s after the post step: %v, want it deleted", ns, err)
			}
		})
	}
}

// existingCluster is a real control plane with a pod network, a GitHub
// emulator, and the cluster's kubeconfig as the kubeconfig input takes it.
func existingCluster(t testing.TB) (*provingground.Ground, *ghemu.Server, string) {
	t.Helper()
	g := provingground.StartT(t)
	kubeconfig, err := os.ReadFile(g.Cluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return g, ghemu.New(t), string(kubeconfig)
}

// checkCases checks that each named JUnit case exists, that those in
// wantFail fail with the text it gives, and, when othersPass, that the
// others pass.
func checkCases(t *testing.T, cases map[string]junitCase, names []string, wantFail map[string]string, othersPass bool) {
	t.Helper()
	for _, name := range names {
		c, ok := cases[name]
		if !ok {
			t.Errorf("JUnit has no case %q; it has %v", name, slices.Sorted(maps.Keys(cases)))
			continue
		}
		want, failing := wantFail[name]
		switch {
		case failing && c.Failure == nil:
			t.Errorf("case %s passed, want a failure containing %q", name, want)
		case failing && !strings.Contains(c.Failure.Message+c.Failure.Data, want):
			t.Errorf("case %s failure = %q, want it to contain %q", name, c.Failure.Message+c.Failure.Data, want)
		case !failing && c.Failure != nil && othersPass:
			t.Errorf("case %s failed: %s", name, c.Failure.Data)
		}
	}
}

func checkRunFor(t *testing.T, srv *ghemu.Server, head string) ghemu.CheckRun {
	t.Helper()
	for _, cr := range srv.CheckRuns(repoName) {
		if cr.HeadSHA == head {
			return cr
		}
	}
	t.Fatalf("no check run for head %s", head)
	return ghemu.CheckRun{}
}

func hasAnnotationAt(as []ghemu.Annotation, at string) bool {
	for _, a := range as {
		if fmt.Sprintf("%s:%d", a.Path, a.StartLine) == at {
			return true
		}
	}
	return false
}

// TestSandboxLocalCleansUp runs `shipgate sandbox` on the command line
// with the local provider, to the end and stopped by SIGTERM mid-wait:
// either way the control plane, its directory and the pod network are gone
// when the process exits.
func TestSandboxLocalCleansUp(t *testing.T) {
	t.Parallel()
	host := imageRegistry(t)
	for _, tc := range []struct {
		name     string
		edit     func(string) string
		sigterm  bool
		wantCode int
	}{
		{name: "success", wantCode: 0},
		{name: "failure", edit: podEnv("LATENCY", "450ms"), wantCode: 1},
		{name: "SIGTERM mid-wait", edit: podLabel("shipgate.test/fault", "never-ready"), sigterm: true, wantCode: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := sandboxWorkspace(t, tc.edit, withImage(host+"/example/web:1.4.0"))
			cmd := exec.CommandContext(t.Context(), shipgate(t), "sandbox", "--repo", ws, "--config", "shipgate.yml", "--timeout", "2m")
			cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=")
			pr, pw := io.Pipe()
			cmd.Stdout, cmd.Stderr = pw, pw
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var log strings.Builder
			dirRE := regexp.MustCompile(`\(dir (/\S+)\)`)
			var dir string
			done := make(chan struct{})
			go func() {
				defer close(done)
				sc := bufio.NewScanner(pr)
				for sc.Scan() {
					line := sc.Text()
					log.WriteString(line + "\n")
					if m := dirRE.FindStringSubmatch(line); m != nil {
						dir = m[1]
					}
					if tc.sigterm && strings.Contains(line, "deployment/web 0/2 ready") {
						cmd.Process.Signal(syscall.SIGTERM)
					}
				}
			}()
			err := cmd.Wait()
			pw.Close()
			<-done
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d; log:\n%s", code, tc.wantCode, log.String())
			}
			if dir == "" {
				t.Fatalf("the log does not name the cluster's directory:\n%s", log.String())
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("cluster directory %s still exists after exit (%v)", dir, err)
			}
			if out, _ := exec.Command("pgrep", "-f", dir).Output(); len(out) > 0 {
				t.Errorf("processes of the cluster in %s still run: %s", dir, out)
			}
			if tc.sigterm && !strings.Contains(log.String(), "cancelled: removing local control plane") {
				t.Errorf("the log does not say the cancelled run removed its control plane:\n%s", log.String())
			}
			// Every local run says what the local provider does not do, in
			// the log and in the report.
			if !strings.Contains(log.String(), provider.LocalLimits) {
				t.Errorf("the log does not say what the local provider is:\n%s", log.String())
			}
			if md, err := os.ReadFile(filepath.Join(ws, "shipgate-report", "sandbox.md")); !tc.sigterm && (err != nil || !strings.Contains(string(md), provider.LocalNote)) {
				t.Errorf("the report does not say what the local provider is (%v):\n%s", err, md)
			}
			m := regexp.MustCompile(`pod network: netns (\S+),`).FindStringSubmatch(log.String())
			if m == nil {
				t.Fatalf("the log does not name the pod network:\n%s", log.String())
			}
			if out, _ := exec.Command("ip", "netns", "list").Output(); regexp.MustCompile(`(?m)^` + m[1] + `\b`).Match(out) {
				t.Errorf("network namespace %s still exists after exit", m[1])
			}
		})
	}
}

// TestSandboxLocalBadManifests runs `shipgate sandbox` on the command line
// with manifests that cannot be deployed: each is reported (a finding, or
// an input error naming the input) and no control plane is started.
func TestSandboxLocalBadManifests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		manifests string
		edit      func(string) string
		wantCode  int
		want      string
	}{
		{name: "no such path", manifests: "nowhere", wantCode: 2, want: `input manifests "nowhere": no such file or directory`},
		{name: "empty directory", manifests: "empty", wantCode: 1, want: "No objects"},
		{name: "YAML error", manifests: "deploy", edit: func(s string) string { return strings.Replace(s, "replicas: 2", "replicas: [2", 1) }, wantCode: 1, want: "deploy/web.yaml:11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := sandboxWorkspace(t, tc.edit)
			if err := os.MkdirAll(filepath.Join(ws, "empty"), 0o755); err != nil {
				t.Fatal(err)
			}
			env := append(os.Environ(), "GITHUB_ACTIONS=")
			code, out := execBinary(t, ws, env, "sandbox", "--repo", ws, "--manifests", tc.manifests, "--config", "shipgate.yml", "--timeout", "1m")
			if code != tc.wantCode || !strings.Contains(out, tc.want) {
				t.Fatalf("exit code %d, want %d with %q in the output:\n%s", code, tc.wantCode, tc.want, out)
			}
			if strings.Contains(out, provider.LocalLimits) || strings.Contains(out, "(dir ") {
				t.Errorf("a control plane was started for manifests that cannot be deployed:\n%s", out)
			}
		})
	}
}
