package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/ghemu"
	"github.com/shipgate/shipgate/internal/gittest"
	"github.com/shipgate/shipgate/internal/load"
	"github.com/shipgate/shipgate/internal/monitor"
)

// loadSection is a load of 50 requests a second on the test app's
// Service, through the API server's service proxy, spread over two paths;
// limits: the rate within 5% of the declared one, throughput at least 90%
// of it, 99% success.
const loadSection = `  load:
    target: {service: web, port: http}
    rate: 50
    duration: %s
    paths:
      - {path: /, weight: 3}
      - {path: /api/version, weight: 1, headers: {X-Load: shipgate}}
    limits: {rate-within: 5%%, min-throughput: 90%%, p99: 2s}
`

// The load's JUnit cases.
var loadCases = []string{
	"[load] success ratio should be at least 99%",
	"[load] p99 latency should be at most 2s",
	"[load] rate should be within 5% of 50/s",
	"[load] throughput should be at least 90% of 50/s",
}

// TestSandboxLoad runs the sandbox stage with a load during its service
// tier against a real control plane whose pods answer on a pod network:
// the declared rate is measured within 5%, and an app that fails some of
// its answers fails the load's success check with the statuses counted.
func TestSandboxLoad(t *testing.T) {
	t.Parallel()
	_, srv, kubeconfig := existingCluster(t)
	host := imageRegistry(t)
	tests := []struct {
		name     string
		edit     func(string) string
		wantFail map[string]string
	}{
		{name: "a healthy app under load passes, at the declared rate"},
		{
			name:     "an app failing a third of its answers fails the load's success check",
			edit:     podEnv("FAIL_RATE", "0.3"),
			wantFail: map[string]string{loadCases[0]: "status 500"},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runID := fmt.Sprint(7000 + i)
			ws := sandboxWorkspace(t, tc.edit, withImage(host+"/example/web:1.4.0"))
			cfg, err := os.ReadFile(filepath.Join(ws, "shipgate.yml"))
			if err != nil {
				t.Fatal(err)
			}
			cfg = append(cfg, fmt.Sprintf(loadSection, "4s")...)
			if err := os.WriteFile(filepath.Join(ws, "shipgate.yml"), cfg, 0o644); err != nil {
				t.Fatal(err)
			}
			head := fakeSHA(tc.name)
			srv.AddPull(repoName, ghemu.Pull{Number: 70 + i, HeadSHA: head, BaseSHA: fakeSHA("base"), HeadRef: "feature", BaseRef: "main"})
			inputs := map[string]string{"stage": "sandbox", "provider": "existing", "kubeconfig": kubeconfig, "config": "shipgate.yml", "timeout": "60s"}
			s := runStep(t, srv, ws, "pull_request", pullEvent(t, 70+i, head, fakeSHA("base")), inputs, "GITHUB_RUN_ID="+runID)
			if want := map[bool]int{false: 0, true: 1}[tc.wantFail != nil]; s.code != want {
				t.Fatalf("exit code %d, want %d; log:\n%s", s.code, want, s.log)
			}
			checkCases(t, readJUnit(t, s), loadCases, tc.wantFail, tc.wantFail == nil)
			for _, want := range []string{"Load on service/", "declared 50/s", "Load by path: GET / ×", "GET /api/version ×", "Load timeline: `shipgate-report/sandbox-load-"} {
				if !strings.Contains(s.summary, want) {
					t.Errorf("the summary does not say %q:\n%s", want, s.summary)
				}
			}
			t.Logf("measured: %s", loadLine(s.summary))
			intervals := readLoadIntervals(t, filepath.Join(ws, "shipgate-report"), "sandbox-load-*-intervals.jsonl")
			if tc.wantFail != nil && !hasLevel(intervals, monitor.Error) {
				t.Errorf("no error interval in the load's timeline: %+v", intervals)
			}
			runPostStep(t, srv, ws, s, inputs)
		})
	}
}

// TestSmokeLoadDuringRollout runs the smoke stage's rollout under watch
// with a load beside the monitor: its checks pass at the declared rate,
// and its intervals are on the rollout's timeline.
func TestSmokeLoadDuringRollout(t *testing.T) {
	t.Parallel()
	_, srv, kubeconfig := existingCluster(t)
	web, err := os.ReadFile(filepath.Join("testdata", "sandbox", "deploy", "web.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := withImage(imageRegistry(t) + "/example/web:1.4.0")(string(web))
	head := strings.Replace(base, "value: v1", "value: v2", 1)
	repos := gittest.New(t)
	cfg := fmt.Sprintf(smokeConfig, "v2") + fmt.Sprintf(loadSection, "2m")
	repos.Work.Commit("main", gittest.Files{"deploy/web.yaml": base, "shipgate.yml": cfg}, "web v1")
	repos.Push("main")
	baseSHA := repos.Work.RevParse("refs/heads/main")
	repos.Work.Branch("feature", baseSHA)
	headSHA := repos.Work.Commit("feature", gittest.Files{"deploy/web.yaml": head}, "web v2")
	repos.PullRequest(80, "feature")
	repos.PullRequestMerge(80, "main")
	ws := repos.Clone("refs/pull/80/merge", 1).Dir
	srv.AddPull(repoName, ghemu.Pull{Number: 80, HeadSHA: headSHA, BaseSHA: baseSHA, HeadRef: "feature", BaseRef: "main"})
	inputs := map[string]string{"stage": "smoke", "kubeconfig": kubeconfig, "config": "shipgate.yml", "disruption": "true", "timeout": "60s"}
	s := runStep(t, srv, ws, "pull_request", pullEvent(t, 80, headSHA, baseSHA), inputs, "GITHUB_RUN_ID=8000")
	if s.code != 0 {
		t.Fatalf("exit code %d, want 0; log:\n%s", s.code, s.log)
	}
	checkCases(t, readJUnit(t, s), append([]string{monitor.DisruptionCheck("web", "new-connections"), "smoke/version"}, loadCases...), nil, true)
	if !strings.Contains(s.summary, "Load on service/") {
		t.Errorf("the summary has no load line:\n%s", s.summary)
	}
	t.Logf("measured: %s", loadLine(s.summary))
	f, err := os.Open(filepath.Join(ws, s.outputs["intervals-path"]))
	if err != nil {
		t.Fatalf("output intervals-path %q: %v", s.outputs["intervals-path"], err)
	}
	intervals, err := monitor.ReadJSONLines(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !hasSource(intervals, load.Source) || !hasSource(intervals, monitor.SourceDisruption) {
		t.Errorf("the rollout's timeline lacks the load's or the disruption's intervals: %+v", intervals)
	}
}

func readLoadIntervals(t *testing.T, dir, glob string) []monitor.Interval {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil || len(paths) != 1 {
		t.Fatalf("load intervals %s in %s: %v, %v", glob, dir, paths, err)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	intervals, err := monitor.ReadJSONLines(f)
	if err != nil || !hasSource(intervals, load.Source) {
		t.Fatalf("load intervals %s: %v, %+v", paths[0], err, intervals)
	}
	if _, err := os.Stat(strings.Replace(paths[0], "-intervals.jsonl", "-timeline.html", 1)); err != nil {
		t.Errorf("the load's timeline: %v", err)
	}
	return intervals
}

func hasSource(intervals []monitor.Interval, source string) bool {
	for _, iv := range intervals {
		if iv.Source == source {
			return true
		}
	}
	return false
}

func hasLevel(intervals []monitor.Interval, l monitor.Level) bool {
	for _, iv := range intervals {
		if iv.Level == l {
			return true
		}
	}
	return false
}

// loadLine is the summary's first line about the load.
func loadLine(summary string) string {
	for _, l := range strings.Split(summary, "\n") {
		if i := strings.Index(l, "Load on "); i >= 0 {
			return l[i:]
		}
	}
	return ""
}
