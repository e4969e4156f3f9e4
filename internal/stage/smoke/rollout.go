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
	"github.com/shipgate/shipgate/internal/load"
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

// sources are what the stage deploys, loaded before any cluster exists:
// the pull request's manifests and, for a rollout, the base branch's.
type sources struct {
	head deploy.Loaded
	// base and baseRev are the base branch's manifests and tip, for a
	// rollout; firstDeploy says the base branch has none.
	base        deploy.Loaded
	baseRev     string
	firstDeploy bool
	rollout     bool
}

// loadSources loads the pull request's manifests and, with rollout, the
// base branch's (exported from git).
func loadSources(ctx context.Context, env *stage.Env, rollout bool) (sources, error) {
	src := sources{rollout: rollout}
	opts := loadOptions(env)
	if head := headRevision(env); head != "" {
		dir, rev, err := exportHead(ctx, env, head)
		if err != nil {
			return src, err
		}
		defer os.RemoveAll(dir)
		opts.Root = dir
		env.RT.Logf("smoke: the pull request's version is %s (%s), read from git", head, shortRev(rev))
	}
	var err error
	if src.head, err = deploy.Load(ctx, opts); err != nil {
		return src, fmt.Errorf("smoke: %w", err)
	}
	if !rollout {
		return src, nil
	}
	baseDir, baseRev, err := exportBase(ctx, env)
	if err != nil {
		return src, err
	}
	defer os.RemoveAll(baseDir)
	src.baseRev = baseRev
	opts.Root, opts.Image = baseDir, ""
	src.base, err = deploy.Load(ctx, opts)
	switch {
	case errors.Is(err, deploy.ErrNoPath):
		src.firstDeploy = true
	case err != nil:
		return src, fmt.Errorf("rollout: the base version: %w", err)
	case len(src.base.Objects) == 0:
		src.firstDeploy = true
	}
	return src, nil
}

// usable says whether the sources can be deployed; when not, it returns
// the checks that say why.
func (src sources) usable() ([]result.Check, bool) {
	if src.head.Failed() {
		dep, _ := deploy.Apply(context.Background(), nil, src.head, deploy.Options{}) // skips apply and ready, with the reason
		return dep.Checks, false
	}
	if src.rollout && !src.firstDeploy && src.base.Failed() {
		return []result.Check{{Name: CheckBase, Description: "The base version deploys, to roll out from.", Findings: []result.Finding{{
			Check: CheckBase, Level: result.Failure, Title: "The base version cannot be deployed",
			Message: fmt.Sprintf("The base branch's manifests (%s) cannot be deployed, so there is no rollout to watch:\n%s", shortRev(src.baseRev), failures(src.base.Checks)),
		}}}}, false
	}
	return nil, true
}

// watchRollout deploys the base branch's version, starts the monitor,
// rolls out the pull request's version, waits for it, settles, stops the
// monitor and evaluates the intervals; they are written as JSON lines and
// as an HTML timeline into the report directory.
func watchRollout(ctx context.Context, env *stage.Env, s settings, cl *provider.Cluster, src sources) (watched, error) {
	var w watched
	ns := cl.Handle.UsedNamespace
	kc, err := kube.NewClient(cl.Config)
	if err != nil {
		return w, err
	}
	baseRev := src.baseRev

	// a–b. Deploy the base version and wait for it.
	switch {
	case src.firstDeploy:
		w.notes = append(w.notes, fmt.Sprintf("The base branch (%s) has no manifests at %s: the rollout is a first deploy.", shortRev(baseRev), env.Inputs.Manifests))
	default:
		env.RT.Logf("rollout: deploying the base version (%s) into %s", shortRev(baseRev), ns)
		base, err := deploy.Apply(ctx, kc, src.base, deploy.Options{Namespace: ns, Timeout: s.timeout, Logf: env.RT.Logf})
		if err != nil {
			return w, fmt.Errorf("rollout: deploy the base version: %w", err)
		}
		if base.Failed() {
			w.checks = append(w.checks, result.Check{Name: CheckBase, Description: "The base version deploys, to roll out from.", Findings: []result.Finding{{
				Check: CheckBase, Level: result.Failure, Title: "The base version did not deploy",
				Message: fmt.Sprintf("The base branch's manifests (%s) did not become ready, so there is no rollout to watch:\n%s", shortRev(baseRev), failures(base.Checks)),
			}}})
			return w, nil
		}
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
	// With smoke.load configured, the load runs beside the monitor until
	// it stops (or the load's own bounds end it first).
	run, err := startLoad(ctx, env, cl)
	if err != nil {
		return w, err
	}
	if run != nil {
		defer run.Stop()
	}

	// d. Roll out the pull request's version and wait for it.
	env.RT.Logf("rollout: rolling out the pull request's version under watch")
	began := time.Now()
	head, err := deploy.Apply(ctx, kc, src.head, deploy.Options{Namespace: ns, Image: env.Inputs.Image, Timeout: s.timeout, Logf: env.RT.Logf})
	if err != nil {
		return w, fmt.Errorf("rollout: deploy the pull request's version: %w", err)
	}
	w.head = head
	w.checks = append(w.checks, head.Checks...)
	// Nothing rolled out when every object was already as the pull
	// request has it: the monitor saw no change, so it proves nothing.
	nothing := ""
	if !src.firstDeploy && head.Unchanged() {
		nothing = fmt.Sprintf("nothing rolled out: the pull request's manifests deploy exactly what the base version runs (apply: %s)", kube.Summary(head.Applied))
		w.notes = append(w.notes, fmt.Sprintf("Nothing changed: the pull request's manifests are the same as the base branch's (%s) once applied (%s), so there was no rollout and the disruption checks are skipped.",
			shortRev(baseRev), kube.Summary(head.Applied)))
		env.RT.Logf("rollout: %s", nothing)
	}

	// e. Settle, stop, evaluate, write the intervals and the timeline.
	if nothing == "" {
		if err := env.Sleep(ctx, Settle); err != nil {
			return w, err
		}
	}
	intervals, err := m.Stop()
	stopped = true
	if err != nil {
		return w, fmt.Errorf("rollout: stop the monitor: %w", err)
	}
	var loaded []monitor.Interval
	if run != nil {
		res := run.Stop()
		loaded = res.Intervals()
		w.checks = append(w.checks, res.Checks(load.DefaultPrefix)...)
		w.notes = append(w.notes, res.Lines()...)
	}
	w.notes = append(w.notes, fmt.Sprintf("Rollout watched for %s (%d intervals recorded).", time.Since(began).Round(100*time.Millisecond), len(intervals)))
	for _, sum := range m.Summaries() {
		w.notes = append(w.notes, fmt.Sprintf("Disruption of %s over %s: %s in %d outage(s); %d of %d samples failed (%.0f/s for %s).",
			sum.Endpoint, sum.Connection, sum.Disruption.Round(time.Millisecond), sum.Outages, sum.Failed, sum.Samples, sum.Rate, sum.Window.Round(100*time.Millisecond)))
	}
	if len(cfg.Endpoints) == 0 {
		w.checks = append(w.checks, result.Check{Name: "[disruption]", Skipped: "no disruption endpoints configured: add smoke.disruption.endpoints (a Service or URL of the app) to measure downtime during the rollout"})
	}
	evaluated := monitor.Evaluate(intervals, cfg)
	if nothing != "" {
		for i, c := range evaluated {
			evaluated[i] = result.Check{Name: c.Name, Description: c.Description, Skipped: nothing}
		}
	}
	w.checks = append(w.checks, evaluated...)
	notes, err := writeIntervals(env, append(intervals, loaded...))
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
	if dir, err = export(ctx, repo, rev, env.Inputs.Manifests); err != nil {
		return "", "", fmt.Errorf("rollout: base branch %s: %w", branch, err)
	}
	return dir, rev, nil
}

// headRevision is the revision --head names on the command line, or ""
// when the pull request's version is the working tree: in Actions (the
// workspace is the pull request's checkout) and for HEAD, the default,
// whose working tree may hold changes not yet committed.
func headRevision(env *stage.Env) string {
	if env.Event != nil || env.RT.InActions() {
		return ""
	}
	if h := strings.TrimSpace(env.Inputs.Head); h != "HEAD" {
		return h
	}
	return ""
}

// exportHead writes the files of the revision --head names, as exportBase
// does for the base branch, and returns the directory with the commit.
func exportHead(ctx context.Context, env *stage.Env, head string) (dir, rev string, err error) {
	repo := &gitmerge.Repo{Dir: env.Inputs.Repo}
	if rev, err = repo.ResolveCommit(ctx, head); err != nil {
		return "", "", fmt.Errorf("input head %q: %w", head, err)
	}
	if dir, err = export(ctx, repo, rev, env.Inputs.Manifests); err != nil {
		return "", "", fmt.Errorf("input head %q: %w", head, err)
	}
	return dir, rev, nil
}

// export writes the YAML files of commit rev, and every file under the
// manifests path, into a new directory.
func export(ctx context.Context, repo *gitmerge.Repo, rev, manifests string) (dir string, err error) {
	prefix := strings.TrimSuffix(path.Clean(filepath.ToSlash(staticPrefix(manifests))), "/")
	files, err := repo.Files(ctx, rev, func(p string) bool {
		ext := path.Ext(p)
		return ext == ".yaml" || ext == ".yml" || prefix == "." || p == prefix || strings.HasPrefix(p, prefix+"/")
	})
	if err != nil {
		return "", err
	}
	if dir, err = os.MkdirTemp("", "shipgate-rev-"); err != nil {
		return "", err
	}
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		err := os.MkdirAll(filepath.Dir(full), 0o755)
		if err == nil {
			err = os.WriteFile(full, data, 0o644)
		}
		if err != nil {
			return "", errors.Join(err, os.RemoveAll(dir))
		}
	}
	return dir, nil
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
