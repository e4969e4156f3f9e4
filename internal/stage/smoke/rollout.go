package smoke

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/gitmerge"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/monitor"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
	"github.com/shipgate/shipgate/internal/timeline"
)

// Settle is how long the monitor keeps sampling after the rollout is
// ready, so an outage at its very end is seen and its recovery measured.
var Settle = 2 * time.Second

// CheckBase is the check of the base version's deploy.
const CheckBase = "rollout/base-deploy"

// watched is what a rollout under watch found.
type watched struct {
	head   deploy.Result
	checks []result.Check
	notes  []string
}

// watchRollout deploys the base branch's version, starts the monitor,
// rolls out the pull request's version, waits for it, settles, stops the
// monitor and evaluates the intervals; they are written as JSON lines and
// as an HTML timeline into the report directory.
func watchRollout(ctx context.Context, env *stage.Env, s settings, cl *provider.Cluster) (watched, error) {
	var w watched
	ns := cl.Handle.UsedNamespace
	kc, err := kube.NewClient(cl.Config)
	if err != nil {
		return w, err
	}
	// a. The base version's manifests, from the base branch's tip.
	baseDir, baseRev, err := exportBase(ctx, env)
	if err != nil {
		return w, err
	}
	defer os.RemoveAll(baseDir)

	// b. Deploy the base version and wait for it.
	env.RT.Logf("rollout: deploying the base version (%s) into %s", shortRev(baseRev), ns)
	base, err := deploy.Run(ctx, kc, deploy.Options{Root: baseDir, Manifests: env.Inputs.Manifests, Namespace: ns, Timeout: s.timeout, Logf: env.RT.Logf})
	if err != nil {
		return w, fmt.Errorf("rollout: deploy the base version: %w", err)
	}
	firstDeploy := len(base.Objects) == 0
	switch {
	case firstDeploy:
		w.notes = append(w.notes, fmt.Sprintf("The base branch (%s) has no manifests at %s: the rollout is a first deploy.", shortRev(baseRev), env.Inputs.Manifests))
	case base.Failed():
		w.checks = append(w.checks, result.Check{Name: CheckBase, Description: "The base version deploys, to roll out from.", Findings: []result.Finding{{
			Check: CheckBase, Level: result.Failure, Title: "The base version did not deploy",
			Message: fmt.Sprintf("The base branch's manifests (%s) did not become ready, so there is no rollout to watch:\n%s", shortRev(baseRev), failures(base.Checks)),
		}}})
		return w, nil
	default:
		w.checks = append(w.checks, result.Check{Name: CheckBase, Description: fmt.Sprintf("The base version (%s) deploys, to roll out from.", shortRev(baseRev))})
	}

	// c. Start the monitor: disruption samplers on the endpoints,
	// conditions of the namespace's workloads, pods and the nodes.
	cfg := env.Config.Smoke.Disruption
	samplers, err := monitor.DisruptionSamplers(ctx, cfg, monitor.Cluster{Namespace: ns, Client: cl.Client, Config: cl.Config})
	if err != nil {
		return w, err
	}
	all := []monitor.Sampler{monitor.NewConditions(cl.Client, ns, true)}
	for _, d := range samplers {
		all = append(all, d)
	}
	m := monitor.New(monitor.Options{}, all...)
	if err := m.Start(ctx); err != nil {
		return w, fmt.Errorf("rollout: start the monitor: %w", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			m.Stop()
		}
	}()

	// d. Roll out the pull request's version and wait for it.
	env.RT.Logf("rollout: rolling out the pull request's version under watch")
	began := time.Now()
	head, err := deploy.Run(ctx, kc, deploy.Options{Root: env.Inputs.Repo, Manifests: env.Inputs.Manifests, Namespace: ns, Image: env.Inputs.Image, Timeout: s.timeout, Logf: env.RT.Logf})
	if err != nil {
		return w, fmt.Errorf("rollout: deploy the pull request's version: %w", err)
	}
	w.head = head
	w.checks = append(w.checks, head.Checks...)

	// e. Settle, stop, evaluate, write the intervals and the timeline.
	if err := env.Sleep(ctx, Settle); err != nil {
		return w, err
	}
	intervals, err := m.Stop()
	stopped = true
	if err != nil {
		return w, fmt.Errorf("rollout: stop the monitor: %w", err)
	}
	w.notes = append(w.notes, fmt.Sprintf("Rollout watched for %s (%d intervals recorded).", time.Since(began).Round(100*time.Millisecond), len(intervals)))
	for _, sum := range m.Summaries() {
		w.notes = append(w.notes, fmt.Sprintf("Disruption of %s over %s: %s in %d outage(s); %d of %d samples failed (%.0f/s for %s).",
			sum.Endpoint, sum.Connection, sum.Disruption.Round(time.Millisecond), sum.Outages, sum.Failed, sum.Samples, sum.Rate, sum.Window.Round(100*time.Millisecond)))
	}
	if len(cfg.Endpoints) == 0 {
		w.checks = append(w.checks, result.Check{Name: "[disruption]", Skipped: "no disruption endpoints configured: add smoke.disruption.endpoints (a Service or URL of the app) to measure downtime during the rollout"})
	}
	w.checks = append(w.checks, monitor.Evaluate(intervals, cfg)...)
	notes, err := writeIntervals(env, intervals)
	w.notes = append(w.notes, notes...)
	return w, err
}

// writeIntervals writes the intervals as JSON lines and as the HTML
// timeline, and sets the outputs naming them.
func writeIntervals(env *stage.Env, intervals []monitor.Interval) ([]string, error) {
	jsonRel, jsonAbs := reportPath(env, "smoke-intervals.jsonl")
	htmlRel, htmlAbs := reportPath(env, "smoke-timeline.html")
	if err := os.MkdirAll(filepath.Dir(jsonAbs), 0o755); err != nil {
		return nil, fmt.Errorf("write intervals: %w", err)
	}
	f, err := os.Create(jsonAbs)
	if err != nil {
		return nil, fmt.Errorf("write intervals: %w", err)
	}
	err = errors.Join(monitor.WriteJSONLines(f, intervals), f.Close())
	if err != nil {
		return nil, err
	}
	if err := timeline.WriteFile(htmlAbs, "shipgate smoke: rollout of "+env.Inputs.Manifests, intervals); err != nil {
		return nil, err // it says "write timeline: …"
	}
	return []string{fmt.Sprintf("Timeline: `%s`; intervals: `%s`.", htmlRel, jsonRel)},
		errors.Join(env.RT.SetOutput("timeline-path", htmlRel), env.RT.SetOutput("intervals-path", jsonRel))
}

// exportBase writes the base branch's YAML files and the files under the
// manifests path into a new directory, and returns it with the base's SHA.
func exportBase(ctx context.Context, env *stage.Env) (dir, rev string, err error) {
	branch := env.Inputs.Base
	if env.Event != nil && env.Event.PullRequest != nil {
		branch = env.Event.PullRequest.Base.Ref
	}
	if branch == "" {
		return "", "", errors.New("rollout: no base branch to roll out from: run on a pull request, or give --base")
	}
	repo := &gitmerge.Repo{Dir: env.Inputs.Repo, SafeDirectory: env.Event != nil}
	if rev, err = repo.BranchTip(ctx, branch, env.Event != nil); err != nil {
		return "", "", fmt.Errorf("rollout: base branch %s: %w", branch, err)
	}
	prefix := strings.TrimSuffix(path.Clean(filepath.ToSlash(staticPrefix(env.Inputs.Manifests))), "/")
	files, err := repo.Files(ctx, rev, func(p string) bool {
		ext := path.Ext(p)
		return ext == ".yaml" || ext == ".yml" || prefix == "." || p == prefix || strings.HasPrefix(p, prefix+"/")
	})
	if err != nil {
		return "", "", fmt.Errorf("rollout: base branch %s: %w", branch, err)
	}
	if dir, err = os.MkdirTemp("", "shipgate-base-"); err != nil {
		return "", "", err
	}
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			return "", "", err
		}
	}
	return dir, rev, nil
}

// staticPrefix is the part of a path or glob before its first wildcard.
func staticPrefix(p string) string {
	if i := strings.IndexAny(p, "*?["); i >= 0 {
		return path.Dir(p[:i] + "x")
	}
	return p
}

func failures(checks []result.Check) string {
	var lines []string
	for _, c := range checks {
		for _, f := range c.Findings {
			lines = append(lines, "- "+f.Title+": "+f.Message)
		}
	}
	return strings.Join(lines, "\n")
}

func shortRev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func clientOf(cl *provider.Cluster) kubernetes.Interface {
	if cl == nil {
		return nil
	}
	return cl.Client
}
