package main_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/internal/imageindex"
	"github.com/shipgate/shipgate/internal/kubeversion"
)

// stepScript returns the run script and env of the step with id in job.
func stepScript(t *testing.T, path, job, id string) (script string, env map[string]string) {
	t.Helper()
	steps := get(get(get(readYAML(t, path), "jobs"), job), "steps")
	if steps == nil {
		t.Fatalf("%s has no job %s with steps", path, job)
	}
	for _, s := range steps.Content {
		if get(s, "id") == nil || get(s, "id").Value != id {
			continue
		}
		env = map[string]string{}
		pairs(get(s, "env"), func(k, v *yaml.Node) { env[k.Value] = v.Value })
		return get(s, "run").Value, env
	}
	t.Fatalf("%s: job %s has no step with id %s", path, job, id)
	return "", nil
}

// runScript runs a step's script as the runner runs shell: bash, with env
// (the step's expressions replaced by the test's values), and returns the
// exit code, the combined output and what it wrote to GITHUB_OUTPUT.
func runScript(t *testing.T, script string, env map[string]string) (code int, log string, outputs map[string]string) {
	t.Helper()
	dir := t.TempDir()
	file, outFile, sumFile := filepath.Join(dir, "step.sh"), filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	for _, f := range []string{outFile, sumFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "bash", "--noprofile", "--norc", "-eo", "pipefail", file)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GITHUB_OUTPUT=" + outFile, "GITHUB_STEP_SUMMARY=" + sumFile, "RUNNER_TEMP=" + dir}
	for k, v := range env {
		if strings.Contains(v, "${{") {
			t.Fatalf("env %s is still the expression %s; give the test's value", k, v)
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run the step: %v", err)
	}
	return code, string(out), readOutputs(t, outFile)
}

// withEnv returns env with the values of set replacing the step's.
func withEnv(t *testing.T, env, set map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for k, v := range set {
		if _, ok := env[k]; !ok {
			t.Fatalf("the step has no env %s; it has %v", k, sortedNames(env))
		}
		out[k] = v
	}
	return out
}

// TestKubernetesVersionsStep runs the versions job's script and compares
// its list with shipgate's own reading of kubernetes-version.
func TestKubernetesVersionsStep(t *testing.T) {
	t.Parallel()
	script, env := stepScript(t, ".github/workflows/pr.yml", "versions", "list")
	for _, in := range []string{
		"v1.33.4, skew", "v1.33.4", "1.31.0 v1.32.1,v1.33", "SKEW v1.30", "v1.33.4, v1.32.8, skew",
		"v1.1, skew", "v1.33, v1.33.0", " v1.34.0\n\tv1.33.4 ", "skew", "", "v1.x", "v0.1", "v1.33.4-rc.1",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			code, log, out := runScript(t, script, withEnv(t, env, map[string]string{"VERSIONS": in}))
			vs, err := kubeversion.ParseList(in)
			if err != nil {
				if code == 0 || !strings.Contains(log, "::error title=input kubernetes-versions::") {
					t.Errorf("shipgate refuses %q (%v); the step exits %d with:\n%s", in, err, code, log)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit code %d:\n%s", code, log)
			}
			want := []string{}
			for _, v := range vs {
				want = append(want, v.String())
			}
			var got []string
			if err := json.Unmarshal([]byte(out["list"]), &got); err != nil {
				t.Fatalf("output list %q: %v", out["list"], err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("versions of %q (-shipgate +step):\n%s", in, diff)
			}
		})
	}
}

// TestLoadedImageStep checks that the sandbox job's name for the image in
// kind's nodes is imageindex.ArchiveTag's.
func TestLoadedImageStep(t *testing.T) {
	t.Parallel()
	script, env := stepScript(t, ".github/workflows/pr.yml", "sandbox", "loaded")
	const digest = "sha256:0f5cc49c5e73c0c2bb6e2df56e7df189240d83cf94edfa30946482eb08ec57d2"
	for _, ref := range []string{
		"ghcr.io/octo/shop@" + digest, "ghcr.io/shipgate/shipgate/sample-app@" + digest,
		"localhost:5000/app@" + digest, "nginx@" + digest, "octo/app@" + digest, "docker.io/octo/app@" + digest,
		"index.docker.io/library/nginx@" + digest, "ghcr.io/octo/shop:1.4.0", "ghcr.io/octo/shop:1.4.0@" + digest,
		"localhost:5000/app", "nginx",
	} {
		t.Run(ref, func(t *testing.T) {
			t.Parallel()
			want, err := imageindex.ArchiveTag(ref)
			if err != nil {
				t.Fatal(err)
			}
			code, log, out := runScript(t, script, withEnv(t, env, map[string]string{"IMAGE": ref}))
			if code != 0 {
				t.Fatalf("exit code %d:\n%s", code, log)
			}
			if out["image"] != want {
				t.Errorf("image for %s = %q, want ArchiveTag's %q", ref, out["image"], want)
			}
		})
	}
}

// TestGatesStep checks the gates job: each gate's result, and failure when
// one failed.
func TestGatesStep(t *testing.T) {
	t.Parallel()
	script, env := stepScript(t, ".github/workflows/pr.yml", "gates", "results")
	ok := map[string]string{"MERGE_CHECK": "success", "VERSIONS": "success", "BUILD": "success", "BUILD_MERGE": "success", "SANDBOX": "success", "AUTO_MERGE": "skipped", "IMAGE": "ghcr.io/o/a@sha256:1"}
	with := func(kv ...string) map[string]string { return withPairs(ok, kv...) }
	tests := []struct {
		name               string
		set                map[string]string
		wantCode           int
		wantBuild, wantBox string
	}{
		{name: "all green, auto-merge off", set: ok, wantBuild: "success", wantBox: "success"},
		{name: "all green and merged", set: with("AUTO_MERGE", "success"), wantBuild: "success", wantBox: "success"},
		{name: "merge-check failed", set: with("MERGE_CHECK", "failure", "BUILD", "skipped", "BUILD_MERGE", "skipped", "SANDBOX", "skipped", "IMAGE", ""), wantCode: 1, wantBuild: "skipped", wantBox: "skipped"},
		{name: "a platform failed", set: with("BUILD", "failure", "BUILD_MERGE", "skipped", "SANDBOX", "skipped"), wantCode: 1, wantBuild: "failure", wantBox: "skipped"},
		{name: "the index failed verification", set: with("BUILD_MERGE", "failure", "SANDBOX", "skipped"), wantCode: 1, wantBuild: "failure", wantBox: "skipped"},
		{name: "bad kubernetes-versions", set: with("VERSIONS", "failure", "SANDBOX", "skipped"), wantCode: 1, wantBuild: "success", wantBox: "failure"},
		{name: "a sandbox failed", set: with("SANDBOX", "failure"), wantCode: 1, wantBuild: "success", wantBox: "failure"},
		{name: "cancelled", set: with("SANDBOX", "cancelled"), wantCode: 1, wantBuild: "success", wantBox: "cancelled"},
		{name: "auto-merge failed", set: with("AUTO_MERGE", "failure"), wantCode: 1, wantBuild: "success", wantBox: "success"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, log, out := runScript(t, script, withEnv(t, env, tc.set))
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d:\n%s", code, tc.wantCode, log)
			}
			if diff := cmp.Diff(map[string]string{"build": tc.wantBuild, "sandbox": tc.wantBox}, out); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			if tc.wantCode != 0 && !strings.Contains(log, "::error::a gate did not pass") {
				t.Errorf("no error annotation:\n%s", log)
			}
		})
	}
}

// withPairs returns a copy of base with the key, value pairs kv set.
func withPairs(base map[string]string, kv ...string) map[string]string {
	m := maps.Clone(base)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// TestCITestStep runs the CI job's test step on a machine like GitHub's
// runners: setup-go's Go on a PATH entry of its own, and a sudo that does
// to the environment what the runners' sudo may (PATH replaced by its
// secure_path, HOME by root's). .ci/run, here a fake, must run with the
// runner's Go, environment and HOME, where setup-go restores and saves
// Go's caches and the cache step the control plane's binaries.
func TestCITestStep(t *testing.T) {
	t.Parallel()
	script, _ := stepScript(t, ".github/workflows/ci.yml", "test", "ci")
	dir := t.TempDir()
	goBin, sudoBin := filepath.Join(dir, "hostedtoolcache", "go", "bin"), filepath.Join(dir, "sbin")
	home, ws := filepath.Join(dir, "home", "runner"), filepath.Join(dir, "work")
	files := map[string]string{
		filepath.Join(goBin, "go"): "#!/bin/sh\n",
		filepath.Join(sudoBin, "sudo"): `#!/bin/bash
keep=
while [ $# -gt 0 ]; do
  case $1 in
  -E | --preserve-env) keep=1 ;;
  -*) echo "sudo: the test does not know option $1" >&2; exit 2 ;;
  *) break ;;
  esac
  shift
done
secure=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ -z "$keep" ]; then exec /usr/bin/env -i "PATH=$secure" HOME=/root SUDO_UID=1001 "$@"; fi
exec /usr/bin/env "PATH=$secure" HOME=/root SUDO_UID=1001 "$@"
`,
		filepath.Join(ws, ".ci", "run"): `echo "go=$(command -v go)"; echo "home=$HOME"; echo "ci=$CI"; echo "sudo=$SUDO_UID"` + "\n",
	}
	for f, text := range files {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	code, log, _ := runScript(t, "cd "+ws+"\n"+script, map[string]string{
		"PATH": sudoBin + ":" + goBin + ":" + os.Getenv("PATH"), "HOME": home, "CI": "true",
	})
	if code != 0 {
		t.Fatalf("exit code %d:\n%s", code, log)
	}
	want := fmt.Sprintf("go=%s\nhome=%s\nci=true\nsudo=1001\n", filepath.Join(goBin, "go"), home)
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf(".ci/run's environment (-want +got):\n%s", diff)
	}
}

// TestDigestSteps runs the build matrix's hand-on step for two platforms
// and build merge's digests step after it, in one runner temp directory as
// the artifacts bring them together: the digests input gets one
// platform=digest line per platform.
func TestDigestSteps(t *testing.T) {
	t.Parallel()
	handOn, handOnEnv := stepScript(t, ".github/workflows/pr.yml", "build", "hand-on")
	digests, digestsEnv := stepScript(t, ".github/workflows/pr.yml", "build-merge", "digests")
	temp := t.TempDir()
	const amd, arm = "sha256:0f5cc49c5e73c0c2bb6e2df56e7df189240d83cf94edfa30946482eb08ec57d2", "sha256:25a6018e48dfcaee478f4a59af81157a437f15e6e140bf103f85a2e7cd0cbbf2"
	for _, p := range [][3]string{{"linux/arm64", arm, "linux-arm64"}, {"linux/amd64", amd, "linux-amd64"}} {
		env := withEnv(t, handOnEnv, map[string]string{"PLATFORM": p[0], "DIGEST": p[1], "SLUG": p[2]})
		env["RUNNER_TEMP"] = temp
		if code, log, _ := runScript(t, handOn, env); code != 0 {
			t.Fatalf("hand-on for %s: exit code %d:\n%s", p[0], code, log)
		}
	}
	digestsEnv["RUNNER_TEMP"] = temp
	code, log, out := runScript(t, digests, digestsEnv)
	if code != 0 {
		t.Fatalf("digests: exit code %d:\n%s", code, log)
	}
	if diff := cmp.Diff(map[string]string{"list": "linux/amd64=" + amd + "\nlinux/arm64=" + arm}, out); diff != "" {
		t.Errorf("digests outputs (-want +got):\n%s", diff)
	}
}

var stepScriptCall = regexp.MustCompile(`stepScript\(t, "([^"]+)", "([^"]+)", "([^"]+)"\)`)

// TestEveryRunScriptIsRun checks that each run: script of the reusable
// workflows and the starter templates has an id and is run by a test
// (a stepScript call in a _test.go file of this directory).
func TestEveryRunScriptIsRun(t *testing.T) {
	t.Parallel()
	tests, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	run := map[string]bool{}
	for _, f := range tests {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range stepScriptCall.FindAllStringSubmatch(string(src), -1) {
			run[m[1]+" "+m[2]+" "+m[3]] = true
		}
	}
	templates, err := filepath.Glob("workflows-templates/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	scripts := 0
	for _, f := range append(reusableWorkflows(t), templates...) {
		stepsOf(readYAML(t, f), func(job string, s *yaml.Node) {
			if get(s, "run") == nil {
				return
			}
			scripts++
			id := scalar(get(s, "id"))
			switch {
			case id == "":
				t.Errorf("%s:%d: job %s has a run: step without an id; give it one and run it in a test with stepScript", f, s.Line, job)
			case !run[f+" "+job+" "+id]:
				t.Errorf("%s: job %s, step %s: no test runs it; call stepScript(t, %q, %q, %q) and runScript", f, job, id, f, job, id)
			}
		})
	}
	if scripts < 5 {
		t.Errorf("%d run: steps found; the workflows moved?", scripts)
	}
}
