package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/app"
	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/gittest"
)

// The binary under test, built once per test process.
var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

func shipgate(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shipgate-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "shipgate")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// offline sends every request the tests or the binary would make to an
// outside address (a registry lookup, a download) to a closed port on
// loopback, so nothing leaves the machine whatever the code under test
// tries: loopback, and the pod networks' addresses the tests make, are
// reached directly.
var offline = []string{"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=198.18.0.0/15,198.19.0.0/16"}

func TestMain(m *testing.M) {
	for _, kv := range offline {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

const repoName = "octo-org/shop"

// step is one run of the action's binary, with what the runner collects.
type step struct {
	code    int
	log     string
	outputs map[string]string
	// state is what the step saved for its post step (GITHUB_STATE).
	state   map[string]string
	summary string
	ws      string
}

// runStep runs the binary the way the runner runs a container action:
// inputs as INPUT_* variables, the event payload in a file, output and
// summary files, the workspace as working directory.
func runStep(t testing.TB, srv *ghemu.Server, ws, eventName string, event map[string]any, inputs map[string]string, extraEnv ...string) step {
	t.Helper()
	return runWith(t, srv, ws, eventName, event, inputs, func(env []string, tmp string) (int, string) {
		return execBinary(t, ws, append(env, extraEnv...))
	})
}

// execBinary runs the binary with args in ws and returns its exit code and
// output.
func execBinary(t testing.TB, ws string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), shipgate(t), args...)
	cmd.Dir, cmd.Env = ws, env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatalf("run shipgate %v: %v", args, err)
	}
	return 0, string(out)
}

// runInProcess runs app.Run in this process with the same environment, so
// a test can shorten the GitHub client's retry waits.
func runInProcess(t *testing.T, srv *ghemu.Server, ws, eventName string, event map[string]any, opts ...ghapi.Option) step {
	t.Helper()
	return runWith(t, srv, ws, eventName, event, nil, func(env []string, tmp string) (int, string) {
		vars := map[string]string{}
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
		var out bytes.Buffer
		noWait := func(context.Context, time.Duration) error { return nil }
		opts = append([]ghapi.Option{ghapi.WithClock(time.Now, noWait)}, opts...)
		code := app.Run(t.Context(), nil, app.IO{
			Getenv: func(k string) string { return vars[k] }, Stdout: &out, Stderr: &out,
			Sleep:         func(context.Context, time.Duration) error { return nil },
			GitHubOptions: opts,
		})
		return code, out.String()
	})
}

func runWith(t testing.TB, srv *ghemu.Server, ws, eventName string, event map[string]any, inputs map[string]string, exe func(env []string, tmp string) (int, string)) step {
	t.Helper()
	tmp := t.TempDir()
	eventPath := filepath.Join(tmp, "event.json")
	data, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(eventPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	outPath, sumPath, statePath := filepath.Join(tmp, "output"), filepath.Join(tmp, "summary"), filepath.Join(tmp, "state")
	for _, p := range []string{outPath, sumPath, statePath} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := append(slices.Clone(offline),
		"PATH="+os.Getenv("PATH"), "HOME="+tmp,
		"GITHUB_ACTIONS=true", "CI=true",
		"GITHUB_EVENT_NAME="+eventName, "GITHUB_EVENT_PATH="+eventPath,
		"GITHUB_REPOSITORY="+repoName, "GITHUB_WORKSPACE="+ws,
		"GITHUB_OUTPUT="+outPath, "GITHUB_STEP_SUMMARY="+sumPath, "GITHUB_STATE="+statePath,
		"GITHUB_API_URL="+srv.URL(), "GITHUB_SERVER_URL=https://github.com",
		"GITHUB_RUN_ID=4242", "GITHUB_RUN_ATTEMPT=1", "RUNNER_TEMP="+tmp,
		"GITHUB_REF_NAME=main",
		"INPUT_GITHUB-TOKEN="+srv.Token(),
	)
	defaults := map[string]string{"stage": "merge-check", "manifests": "deploy", "report-dir": "shipgate-report", "kubernetes-version": "v1.33.0"}
	for k, v := range inputs {
		defaults[k] = v
	}
	for k, v := range defaults {
		env = append(env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	s := step{ws: ws}
	s.code, s.log = exe(env, tmp)
	// The token is masked before anything else is written, and never logged.
	mask := "::add-mask::" + srv.Token() + "\n"
	if tok, set := inputs["github-token"]; (!set || tok != "") && !strings.HasPrefix(s.log, mask) {
		t.Errorf("the log does not start by masking the token:\n%s", s.log)
	}
	if strings.Contains(strings.TrimPrefix(s.log, mask), srv.Token()) {
		t.Errorf("the token appears in the log:\n%s", s.log)
	}
	s.outputs = readOutputs(t, outPath)
	s.state = readOutputs(t, statePath)
	sum, _ := os.ReadFile(sumPath)
	s.summary = string(sum)
	return s
}

// readOutputs parses GITHUB_OUTPUT's (and GITHUB_STATE's) name<<delimiter
// and name=value lines.
func readOutputs(t testing.TB, p string) map[string]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s line %q is neither name=value nor name<<delimiter", filepath.Base(p), line)
		}
		out[name] = val
	}
	return out
}

// junitCase is one test case of the JUnit file.
type junitCase struct {
	Name    string `xml:"name,attr"`
	Failure *struct {
		Message string `xml:"message,attr"`
		Data    string `xml:",chardata"`
	} `xml:"failure"`
	Skipped *struct{} `xml:"skipped"`
	// Time is the case's duration in seconds.
	Time float64 `xml:"time,attr"`
}

func readJUnit(t testing.TB, s step) map[string]junitCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.ws, s.outputs["junit-path"]))
	if err != nil {
		t.Fatalf("read JUnit at output junit-path %q: %v", s.outputs["junit-path"], err)
	}
	var doc struct {
		Suites []struct {
			Cases []junitCase `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse JUnit: %v", err)
	}
	cases := map[string]junitCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			cases[c.Name] = c
		}
	}
	return cases
}

// pullEvent is the real pull_request.opened payload pointed at a test PR.
func pullEvent(t testing.TB, number int, headSHA, baseSHA string) map[string]any {
	t.Helper()
	ev := loadEvent(t, "pull_request.opened.json")
	ev["number"] = number
	pr := ev["pull_request"].(map[string]any)
	pr["number"] = number
	head, base := pr["head"].(map[string]any), pr["base"].(map[string]any)
	head["sha"], head["ref"] = headSHA, fmt.Sprintf("feature-%d", number)
	base["sha"], base["ref"] = baseSHA, "main"
	ev["repository"].(map[string]any)["full_name"] = repoName
	return ev
}

func loadEvent(t testing.TB, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// fixture is an origin with deploy/ on main and a workspace checked out the
// way actions/checkout does (depth 1).
type fixture struct {
	repos *gittest.Repos
	srv   *ghemu.Server
}

const webYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.4.0
`

func newFixture(t testing.TB, opts ...ghemu.Option) *fixture {
	t.Helper()
	r := gittest.New(t)
	r.Work.Commit("main", gittest.Files{
		"deploy/web.yaml": webYAML,
		"deploy/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  ports: [{port: 80}]\n",
	}, "shop")
	r.Push("main")
	return &fixture{repos: r, srv: ghemu.New(t, opts...)}
}

// pull makes branch from main with files, opens PR number on it, and
// returns its head SHA and the base SHA at that moment.
func (f *fixture) pull(number int, files gittest.Files) (head, base string) {
	branch := fmt.Sprintf("feature-%d", number)
	base = f.repos.Work.RevParse("refs/heads/main")
	f.repos.Work.Branch(branch, base)
	head = f.repos.Work.Commit(branch, files, "change")
	f.repos.PullRequest(number, branch)
	mergeable := true
	f.srv.AddPull(repoName, ghemu.Pull{Number: number, HeadSHA: head, BaseSHA: base, HeadRef: branch, BaseRef: "main", Mergeable: &mergeable})
	return head, base
}

// moveMain commits files on main and pushes it: the base moves.
func (f *fixture) moveMain(files gittest.Files) string {
	sha := f.repos.Work.Commit("main", files, "main moves")
	f.repos.Push("main")
	return sha
}

func (f *fixture) workspace() string {
	return f.repos.Clone("main", 1).Dir
}
