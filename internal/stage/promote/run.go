package promote

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/lease"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// The checks of a promotion, in the order they run; each is a JUnit case.
const (
	CheckManifests = "promote/manifests"
	CheckAccess    = "promote/access"
	CheckLock      = "promote/lock"
	CheckHistory   = "promote/history"
	CheckPre       = "promote/pre-promote"
	CheckDeploy    = "promote/deploy"
	CheckPreview   = "promote/preview"
	CheckSwitch    = "promote/switch"
	CheckWatch     = "promote/watch"
	CheckScaleDown = "promote/scale-down"
)

// releaseTimeout bounds what runs after the stage's context ended: the
// rollback of a cancelled promotion, the lease's release.
const releaseTimeout = 3 * time.Minute

// promotion is one run of the stage.
type promotion struct {
	env *stage.Env
	s   settings
	res result.Result

	loaded deploy.Loaded
	cl     *provider.Cluster
	kc     *kube.Client
	store  *history.Store
	lock   *lease.Lock

	// rev is the revision this run promotes; live the one production ran
	// before (nil on the first promotion).
	rev  history.Revision
	live *history.Revision
	// plan is rev's blue-green plan.
	plan bluegreen.Plan

	win        *window
	gh         *deployments
	rolledBack bool
	// manual says the rollback stage runs: rev is the revision rolled
	// back from, live the one restored.
	manual bool
	// rehearsal, when set, aborts the promotion inside its window.
	rehearsal *rehearsal
	// reportName names the report files; promote when empty.
	reportName string
	// replicas says a weighted promotion's weights are replica counts
	// (there is no route); lastOld says the old revision's pods at the
	// last step before 100.
	replicas bool
	lastOld  string
	// traffic is how long after the decision to roll back the first
	// sampled answer of the restored revision came.
	traffic time.Duration
}

// Run promotes the manifests once.
func (Stage) Run(ctx context.Context, env *stage.Env) ([]report.Target, error) {
	s, err := parse(env)
	if err != nil {
		return nil, err
	}
	p := &promotion{env: env, s: s, res: result.Result{Stage: "promote", Started: env.Now()}}
	check := env.Publisher.Begin(ctx, CheckRunName, env.HeadSHA())
	err = p.run(ctx)
	p.figures(ctx)
	err = errors.Join(err, p.writeReports())
	p.res.Finished = env.Now()
	p.res.Title = p.title()
	t := report.Target{Result: p.res}
	if err != nil {
		return []report.Target{t}, err
	}
	check.End(ctx, t)
	return []report.Target{t}, nil
}

// run takes the steps; an error is one the stage could not go on from
// (nothing of the promotion changed the cluster, or what did is undone).
func (p *promotion) run(ctx context.Context) (err error) {
	// 1. The manifests, loaded and checked (images included) before any
	// request to the cluster.
	if err := p.load(ctx); err != nil || p.res.Failed() {
		return err
	}

	// 2–3. The cluster, the permissions the stage needs there, and one
	// promotion at a time.
	release, err := p.openProduction(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, release()) }()

	// 4. The history: what is live, what a dead runner left, whether this
	// change is live already.
	done, err := p.readHistory(ctx)
	if err != nil || done {
		return err
	}

	if err := p.checkMetricQueries(ctx); err != nil { // Prometheus refuses a rule's query: nothing changes
		return err
	}

	// 5. The revision, recorded before anything changes.
	if err := p.record(ctx); err != nil {
		return err
	}

	// 6. The pre-promote hook (e.g. a backup), before any change; the
	// GitHub deployment.
	if !p.prePromote(ctx) {
		return p.markFailed(ctx, "the pre-promote command failed; nothing was changed")
	}
	p.gh = newDeployments(ctx, p)

	// 7–10. The strategy: deploy, verify, switch, watch, and roll back
	// when a rule fires.
	switch p.s.cfg.StrategyName() {
	case config.Rolling:
		err = p.rolling(ctx)
	case config.Weighted:
		err = p.weighted(ctx)
	default:
		err = p.blueGreen(ctx)
	}
	p.finishGitHub(ctx, err)
	switch p.rev.State {
	case history.Good, history.Failed, history.RolledBack:
		p.saveState("") // finished: nothing for the post step
	}
	return err
}

// openProduction opens the production cluster, checks the kubeconfig's
// permissions and takes the Lease; release gives both back.
func (p *promotion) openProduction(ctx context.Context) (release func() error, err error) {
	save := func(provider.Handle) error { return nil } // nothing to remove later: the cluster and namespace are production's
	if p.cl, err = provider.Open(ctx, p.s.spec, save); err != nil {
		return nil, fmt.Errorf("production cluster: %w", err)
	}
	closeCluster := func() error {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		return p.cl.Release(cctx)
	}
	if p.kc, err = kube.NewClient(p.cl.Config); err != nil {
		return nil, errors.Join(err, closeCluster())
	}
	if err := p.access(ctx); err != nil {
		return nil, errors.Join(err, closeCluster())
	}
	if err := p.acquire(ctx); err != nil {
		return nil, errors.Join(err, closeCluster())
	}
	return func() error {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		var errs []error
		if err := p.lock.Release(cctx); err != nil {
			errs = append(errs, fmt.Errorf("release the promote lock: %w", err))
		}
		return errors.Join(append(errs, closeCluster())...)
	}, nil
}

// load reads the manifests, sets the image under test and, for
// blue-green, checks the manifests can be switched.
func (p *promotion) load(ctx context.Context) error {
	in := p.env.Inputs
	began := time.Now()
	l, err := deploy.Load(ctx, deploy.Options{
		Root: in.Repo, Manifests: in.Manifests, Namespace: p.s.namespace, Logf: p.env.RT.Logf,
		Registry: deploy.GitHubRegistry(in.GitHubToken, p.env.RT.Getenv("GITHUB_ACTOR")),
	})
	if err != nil {
		return err
	}
	p.res.Checks = append(p.res.Checks, l.Checks...)
	if l.Failed() {
		return nil
	}
	if in.Image != "" {
		images := kube.ImagesFor(l.Objects, in.Image)
		if len(images) == 0 {
			return fmt.Errorf("input image %s: no container of the manifests has an image of repository %s; set image to the app's image (name:tag or name@sha256:…)", in.Image, kube.Repository(in.Image))
		}
		for _, o := range l.Objects {
			if _, err := kube.SetImages(o.Obj, images); err != nil {
				return fmt.Errorf("input image: %s: %w", o, err)
			}
		}
	}
	for _, o := range l.Objects {
		if o.Obj.GetNamespace() == "" && !isClusterScoped(o.Obj.GetKind()) {
			o.Obj.SetNamespace(p.s.namespace)
		}
	}
	p.loaded = l
	desc := fmt.Sprintf("The manifests at %s load, and a %s promotion can be made of them.", in.Manifests, p.s.cfg.StrategyName())
	switch p.s.cfg.StrategyName() {
	case config.BlueGreen:
		if _, err := bluegreen.Build(l.Objects, p.s.app, 1, p.s.namespace); err != nil {
			return fmt.Errorf("input manifests %s: %w", in.Manifests, err)
		}
	case config.Weighted:
		if err := p.chooseWeights(l.Objects); err != nil {
			return fmt.Errorf("input manifests %s: %w", in.Manifests, err)
		}
		if p.replicas {
			desc += " The weights are replica counts (no HTTPRoute in the manifests): the split is per pod, not per request."
		}
	}
	p.res.Checks = append(p.res.Checks, result.Check{Name: CheckManifests, Description: desc, Duration: time.Since(began)})
	return nil
}

// isClusterScoped knows the cluster-scoped kinds an app's manifests carry.
func isClusterScoped(kind string) bool {
	switch kind {
	case "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass",
		"PriorityClass", "IngressClass", "PersistentVolume", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
		return true
	}
	return false
}

// step adds a passed check, or a failed one with its finding.
func (p *promotion) step(name, desc string, began time.Time, failure *result.Finding) {
	c := result.Check{Name: name, Description: desc, Duration: time.Since(began)}
	if failure != nil {
		failure.Check = name
		if failure.Level == "" {
			failure.Level = result.Failure
		}
		c.Findings = append(c.Findings, *failure)
	}
	p.res.Checks = append(p.res.Checks, c)
}

// skip adds a skipped check.
func (p *promotion) skip(name, why string) {
	p.res.Checks = append(p.res.Checks, result.Check{Name: name, Skipped: why})
}

// note adds a line to the summary and the log.
func (p *promotion) note(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	p.res.Notes = append(p.res.Notes, line)
	p.env.RT.Logf("promote: %s", line)
}

// title is the check run's headline.
func (p *promotion) title() string {
	switch {
	case p.rolledBack:
		return fmt.Sprintf("Revision %d rolled back to %d", p.rev.Number, p.live.Number)
	case p.res.Failed():
		for _, c := range p.res.Checks {
			if c.Failed() {
				return "Failed: " + c.Name
			}
		}
	case p.rev.Number == 0:
		return "Nothing promoted"
	}
	return fmt.Sprintf("Revision %d is live", p.rev.Number)
}

// setOutputs publishes the revision numbers and where the reports are.
func (p *promotion) setOutputs(extra ...[2]string) error {
	if p.rehearsal != nil {
		return nil
	}
	rev, prev := strconv.Itoa(p.rev.Number), ""
	if p.live != nil {
		prev = strconv.Itoa(p.live.Number)
	}
	if p.manual && p.live != nil {
		// A rollback's revision is the one it restored.
		rev, prev = prev, rev
	}
	outs := append([][2]string{
		{"revision", rev},
		{"previous-revision", prev},
		{"rolled-back", strconv.FormatBool(p.rolledBack)},
	}, extra...)
	var errs []error
	for _, o := range outs {
		errs = append(errs, p.env.RT.SetOutput(o[0], o[1]))
	}
	return errors.Join(errs...)
}
