package main_test

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/gittest"
	"github.com/shipgate/shipgate/internal/provingground"
)

// readmeExamples says how each ```yaml example of the README is run, by
// the heading it sits under. An example under a heading not listed fails
// TestReadmeExamples: give it a function that runs it where the tests run.
var readmeExamples = map[string]func(t *testing.T, example string){
	"## Use it in a workflow":    runWorkflowExample,
	"### Config file":            runMergeCheckExample,
	"## sandbox":                 runSandboxExample,
	"## smoke":                   runSmokeExample,
	"## promote":                 runPromoteExample,
	"### Metric rules":           func(t *testing.T, ex string) { parseExample(t, ex) },
	"### Rehearse the rollback":  func(t *testing.T, ex string) { parseExample(t, ex) },
	"### Production-like load":   func(t *testing.T, ex string) { parseExample(t, ex) },
	"### Parity with production": runParityExample,
	"### release.yml":            templateExample("workflows-templates/shipgate-release.yml"),
	"### rollback.yml":           templateExample("workflows-templates/shipgate-rollback.yml"),
}

// yamlExample is one ```yaml block of the README.
type yamlExample struct {
	heading, text string
	line          int
}

// readmeYAMLExamples returns the README's ```yaml blocks with the heading
// each sits under.
func readmeYAMLExamples(t *testing.T) []yamlExample {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []yamlExample
	var heading string
	var cur *yamlExample
	inFence := false
	for i, line := range strings.Split(string(readme), "\n") {
		switch {
		case cur != nil && line == "```":
			out = append(out, *cur)
			cur, inFence = nil, false
		case cur != nil:
			cur.text += line + "\n"
		case strings.HasPrefix(line, "```"):
			inFence = !inFence
			if line == "```yaml" {
				cur = &yamlExample{heading: heading, line: i + 1}
			}
		case !inFence && strings.HasPrefix(line, "#"):
			heading = line
		}
	}
	if len(out) == 0 {
		t.Fatal("README has no ```yaml example")
	}
	return out
}

// TestReadmeExamples runs every ```yaml example of the README: the
// workflow against the starter workflow, each shipgate config by the
// stage it configures, on the real parts the tests have.
func TestReadmeExamples(t *testing.T) {
	t.Parallel()
	for _, ex := range readmeYAMLExamples(t) {
		t.Run(strings.TrimLeft(ex.heading, "# "), func(t *testing.T) {
			t.Parallel()
			run, ok := readmeExamples[ex.heading]
			if !ok {
				t.Fatalf("README.md:%d: the ```yaml example under %q is run by no test: add to readmeExamples a function that runs it", ex.line, ex.heading)
			}
			run(t, ex.text)
		})
	}
}

// TestReadmeQuickStartSample runs the quick start's first command: the
// sample repository and merge-check on it.
func TestReadmeQuickStartSample(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmd := shellCommands(fencedBlocks(t, section(t, string(readme), "## Quick start"), "sh")[0])[0]
	if cmd != "bash testdata/sample/quickstart.sh" {
		t.Fatalf("the quick start's first command is %q; this test runs bash testdata/sample/quickstart.sh", cmd)
	}
	work := t.TempDir()
	run := exec.CommandContext(t.Context(), "bash", "testdata/sample/quickstart.sh")
	run.Env = append(os.Environ(), "SAMPLE_WORK="+work, "GITHUB_ACTIONS=")
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v:\n%s", cmd, err, out)
	}
	for _, want := range []string{"merge-check found the sample's conflict and removed API, as it should (exit code 1)", "extensions/v1beta1"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the quick start's sample does not say %q:\n%s", want, out)
		}
	}
}

// parseExample checks a config example the way shipgate reads a config
// file and returns the sections it sets.
func parseExample(t *testing.T, example string) []string {
	t.Helper()
	if _, err := config.Parse("README example", []byte(example)); err != nil {
		t.Fatalf("shipgate refuses the README's example: %v\n%s", err, example)
	}
	var top map[string]any
	if err := yaml.Unmarshal([]byte(example), &top); err != nil {
		t.Fatal(err)
	}
	var sections []string
	for k := range top {
		sections = append(sections, k)
	}
	return sections
}

// runWorkflowExample: the workflow is the starter workflow, which .ci/run
// lints with actionlint, on a repository whose default branch is main.
func runWorkflowExample(t *testing.T, example string) {
	template, err := os.ReadFile("workflows-templates/shipgate-merge-check.yml")
	if err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	if err := yaml.Unmarshal([]byte(example), &got); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(strings.ReplaceAll(string(template), "$default-branch", "main")), &want); err != nil {
		t.Fatal(err)
	}
	delete(want, "name")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the README's workflow differs from workflows-templates/shipgate-merge-check.yml (-template +README):\n%s", diff)
	}
}

// runMergeCheckExample runs merge-check with the example on a pull request
// that moves cluster/VERSION one minor up, on a repository whose
// deploy/legacy holds an Ingress of an API removed in v1.22: with the
// example the version move is checked and the legacy YAML skipped; without
// it the removed API fails the run.
func runMergeCheckExample(t *testing.T, example string) {
	if diff := cmp.Diff([]string{"merge-check"}, parseExample(t, example)); diff != "" {
		t.Fatalf("sections (-want +got):\n%s", diff)
	}
	repos := gittest.New(t)
	repos.Work.Commit("main", gittest.Files{
		"shipgate.yml": example, "cluster/VERSION": "v1.32.4\n", "deploy/web.yaml": webYAML,
		"deploy/legacy/ingress.yaml": "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: old\n",
	}, "shop")
	repos.Work.Branch("feature", repos.Work.RevParse("refs/heads/main"))
	repos.Work.Commit("feature", gittest.Files{"cluster/VERSION": "v1.33.4\n"}, "Kubernetes v1.33")
	repos.Push("main")
	env := append(os.Environ(), "GITHUB_ACTIONS=")
	run := func(config ...string) (int, string, string) {
		reports := t.TempDir()
		args := append([]string{"merge-check", "--repo", repos.Work.Dir, "--base", "main", "--head", "feature",
			"--kubernetes-version", "v1.33.4", "--manifests", "deploy", "--report-dir", reports}, config...)
		code, out := execBinary(t, repos.Work.Dir, env, args...)
		md, err := os.ReadFile(filepath.Join(reports, "merge-check.md"))
		if err != nil {
			t.Fatalf("exit code %d, no report: %v\n%s", code, err, out)
		}
		return code, out, string(md)
	}
	code, out, md := run("--config", "shipgate.yml")
	if code != 0 || strings.Contains(md, "deploy/legacy") || !strings.Contains(md, "cluster/VERSION") {
		t.Errorf("with the example: exit code %d, want 0, cluster/VERSION's move checked and deploy/legacy skipped; output:\n%s\nreport:\n%s", code, out, md)
	}
	code, out, md = run()
	if code != 1 || !strings.Contains(md, "deploy/legacy/ingress.yaml") {
		t.Errorf("without the example: exit code %d, want 1 for deploy/legacy's removed API; output:\n%s\nreport:\n%s", code, out, md)
	}
}

// runSandboxExample runs the sandbox stage on the command line (the local
// provider) with the example, on the tests' web app at version v2. The
// prometheus queries are left out: the tests' cluster has no Prometheus
// to answer them, and a sandbox without one fails that tier, as it should.
func runSandboxExample(t *testing.T, example string) {
	if diff := cmp.Diff([]string{"sandbox"}, parseExample(t, example)); diff != "" {
		t.Fatalf("sections (-want +got):\n%s", diff)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(example), &doc); err != nil {
		t.Fatal(err)
	}
	business := get(get(doc.Content[0], "sandbox"), "business")
	if get(business, "prometheus") == nil {
		t.Fatal("the example has no business.prometheus: drop this function's special case for it")
	}
	for i := 0; i+1 < len(business.Content); i += 2 {
		if business.Content[i].Value == "prometheus" {
			business.Content = append(business.Content[:i], business.Content[i+2:]...)
			break
		}
	}
	cfg, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	ws := sandboxWorkspace(t, withImage(imageRegistry(t)+"/example/web:1.4.0"), podVersion("v2"))
	if err := os.WriteFile(filepath.Join(ws, "shipgate.yml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GITHUB_ACTIONS=")
	code, out := execBinary(t, ws, env, "sandbox", "--repo", ws, "--manifests", "deploy", "--config", "shipgate.yml", "--timeout", "2m")
	if code != 0 {
		t.Fatalf("exit code %d, want 0; output:\n%s", code, out)
	}
	for _, want := range []*regexp.Regexp{regexp.MustCompile(`service/web`), regexp.MustCompile(`business/json/version`)} {
		md, _ := os.ReadFile(filepath.Join(ws, "shipgate-report", "sandbox.md"))
		if !want.Match(md) && !want.MatchString(out) {
			t.Errorf("the run does not show %s; output:\n%s\nreport:\n%s", want, out, md)
		}
	}
}

// runSmokeExample runs the smoke stage on the command line with the
// example: the base branch's web app (v1) is deployed into a real control
// plane with a pod network and rolled out under watch to the pull
// request's (v2); the checks and the disruption limits must pass.
func runSmokeExample(t *testing.T, example string) {
	if diff := cmp.Diff([]string{"smoke"}, parseExample(t, example)); diff != "" {
		t.Fatalf("sections (-want +got):\n%s", diff)
	}
	g := provingground.StartT(t)
	web, err := os.ReadFile(filepath.Join("testdata", "sandbox", "deploy", "web.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := withImage(imageRegistry(t) + "/example/web:1.4.0")(string(web))
	repos := gittest.New(t)
	repos.Work.Commit("main", gittest.Files{"deploy/web.yaml": base, "shipgate.yml": example}, "web v1")
	repos.Work.Branch("feature", repos.Work.RevParse("refs/heads/main"))
	repos.Work.Commit("feature", gittest.Files{"deploy/web.yaml": podVersion("v2")(base)}, "web v2")
	repos.Push("main", "feature")
	env := append(os.Environ(), "GITHUB_ACTIONS=")
	code, out := execBinary(t, repos.Work.Dir, env, "smoke", "--repo", repos.Work.Dir, "--base", "main", "--head", "feature",
		"--kubeconfig", g.Cluster.Kubeconfig, "--config", "shipgate.yml", "--disruption", "--timeout", "60s")
	if code != 0 {
		t.Fatalf("exit code %d, want 0; output:\n%s", code, out)
	}
}

// podVersion sets the test app's VERSION.
func podVersion(v string) func(string) string {
	return func(s string) string { return strings.Replace(s, "value: v1", "value: "+v, 1) }
}

// runPromoteExample promotes the test app twice with the README's promote
// config on a local control plane with a pod network: a first promotion,
// then a blue-green switch to v2. Only the durations are shortened (a 30
// minute window and a 5 minute scale-down delay would hold the test that
// long) and the p95 and error-rate bounds loosened (the test machine runs
// many control planes at once); every other field is the README's.
func runPromoteExample(t *testing.T, example string) {
	if diff := cmp.Diff([]string{"promote"}, parseExample(t, example)); diff != "" {
		t.Fatalf("sections (-want +got):\n%s", diff)
	}
	// The test machine runs many control planes at once: the latency and
	// error bounds are loosened too.
	short := strings.NewReplacer("watch: 30m ", "watch: 2s  ", "interval: 10s ", "interval: 200ms", "scale-down-delay: 5m ", "scale-down-delay: 0s ",
		"p95: 500ms,", "p95: 3s,", "error-rate: 1%,", "error-rate: 30%,").Replace(example)
	if short == example || strings.Count(short, "200ms")+strings.Count(short, "2s ")+strings.Count(short, "0s ") < 3 {
		t.Fatalf("the example's watch, interval and scale-down-delay lines changed: update runPromoteExample\n%s", example)
	}
	g := provingground.StartT(t)
	if _, err := g.Client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	web, err := os.ReadFile(filepath.Join("testdata", "sandbox", "deploy", "web.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := withImage(imageRegistry(t) + "/example/web:1.4.0")(string(web))
	repos := gittest.New(t)
	env := append(os.Environ(), "GITHUB_ACTIONS=")
	for _, v := range []string{"v1", "v2"} {
		repos.Work.Commit("main", gittest.Files{"deploy/web.yaml": podVersion(v)(base), "shipgate.yml": short}, "web "+v)
		code, out := execBinary(t, repos.Work.Dir, env, "promote", "--repo", repos.Work.Dir, "--environment", "production",
			"--kubeconfig", g.Cluster.Kubeconfig, "--namespace", "shop", "--manifests", "deploy", "--config", "shipgate.yml", "--timeout", "60s")
		if code != 0 {
			t.Fatalf("promote %s: exit code %d, want 0; output:\n%s", v, code, out)
		}
	}
	svc, err := g.Client.CoreV1().Services("shop").Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil || svc.Spec.Selector["shipgate.io/revision"] != "2" {
		t.Fatalf("after two promotions the Service selects %v (%v), want revision 2", svc.Spec.Selector, err)
	}
}
