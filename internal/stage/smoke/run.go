package smoke

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// cleanupTimeout bounds the removal of what the stage made, also after
// cancellation.
const cleanupTimeout = 3 * time.Minute

// run runs the steps: cluster, rollout under watch, smoke checks, smoke
// command, cleanup.
func run(ctx context.Context, env *stage.Env, s settings) (t report.Target, err error) {
	// One check run per Kubernetes version when the workflow runs smoke in
	// each sandbox of a version matrix.
	name := CheckRunName
	if v := targetVersion(env); v != "" {
		name = fmt.Sprintf("%s (%s)", CheckRunName, v)
	}
	check := env.Publisher.Begin(ctx, name, env.HeadSHA())
	res := result.Result{Stage: "smoke", Started: env.Now()}
	end := func(res result.Result) report.Target {
		res.Finished = env.Now()
		res.Title = title(res)
		t.Result = res
		check.End(ctx, t)
		return t
	}

	// 0. What the stage deploys is read, and its images looked up, before
	// any cluster exists: manifests that cannot be deployed cost none.
	var src sources
	if s.disruption || s.cluster && !s.attach {
		if src, err = loadSources(ctx, env, s.disruption); err != nil {
			return t, err
		}
		if checks, ok := src.usable(); !ok {
			res.Checks = append(res.Checks, checks...)
			res.Notes = append(res.Notes, "No cluster was made: the manifests cannot be deployed as they are.")
			return end(res), nil
		}
	}

	// 1. The cluster: the one given (the sandbox's), or one of our own.
	var cl *provider.Cluster
	var handles []provider.Handle
	if s.cluster {
		save := func(h provider.Handle) error {
			handles = []provider.Handle{h}
			return env.RT.SaveState(provider.StateKey, provider.EncodeHandles(handles))
		}
		if cl, err = provider.Open(ctx, s.spec, save); err != nil {
			return t, fmt.Errorf("smoke: %w", err)
		}
		defer func() {
			err = errors.Join(err, finish(ctx, env, s, cl))
		}()
		res.Notes = append(res.Notes, fmt.Sprintf("Cluster: provider %s, Kubernetes %s, namespace `%s`.", s.spec.Provider, cl.ServerVersion, cl.Handle.UsedNamespace))
		res.Notes = append(res.Notes, cl.Notes...)
		if err := env.RT.SetOutput("namespace", cl.Handle.UsedNamespace); err != nil {
			return t, err
		}
	}

	// 2. The rollout under watch, or the pull request's version deployed
	// into a cluster of our own.
	var dep deploy.Result
	switch {
	case s.disruption:
		w, err := watchRollout(ctx, env, s, cl, src)
		if err != nil {
			return t, err
		}
		dep = w.head
		res.Checks = append(res.Checks, w.checks...)
		res.Notes = append(res.Notes, w.notes...)
	case cl != nil && !s.attach:
		if dep, err = deployHead(ctx, env, s, cl, src.head); err != nil {
			return t, err
		}
		res.Checks = append(res.Checks, dep.Checks...)
	}

	// 3. The declared smoke checks, each retried until its deadline.
	if len(env.Config.Smoke.Checks) > 0 {
		checks, err := smokeChecks(ctx, env, cl, dep)
		if err != nil {
			return t, err
		}
		res.Checks = append(res.Checks, checks...)
	}

	// 4. The smoke command.
	if env.Inputs.SmokeCommand != "" {
		checks, notes, err := smokeCommand(ctx, env, s, cl)
		if err != nil {
			return t, err
		}
		res.Checks = append(res.Checks, checks...)
		res.Notes = append(res.Notes, notes...)
	}

	// 5. The rollback, rehearsed.
	if env.Config.Smoke.RehearseRollback != nil {
		checks, notes, err := rehearse(ctx, env, cl)
		if err != nil {
			return t, err
		}
		res.Checks = append(res.Checks, checks...)
		res.Notes = append(res.Notes, notes...)
	}

	// 6. Cleanup runs in the deferred finish.
	return end(res), nil
}

// deployHead deploys the pull request's loaded manifests into the
// cluster's namespace.
func deployHead(ctx context.Context, env *stage.Env, s settings, cl *provider.Cluster, head deploy.Loaded) (deploy.Result, error) {
	kc, err := kube.NewClient(cl.Config)
	if err != nil {
		return deploy.Result{}, err
	}
	dep, err := deploy.Apply(ctx, kc, head, deploy.Options{
		Namespace: cl.Handle.UsedNamespace, Image: env.Inputs.Image, Timeout: s.timeout, Logf: env.RT.Logf,
	})
	if err != nil {
		return dep, fmt.Errorf("smoke: deploy %s: %w", env.Inputs.Manifests, err)
	}
	return dep, nil
}

// finish removes what the stage made: everything when the cluster is its
// own, only process-bound things (credential files) when it was given.
func finish(ctx context.Context, env *stage.Env, s settings, cl *provider.Cluster) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if s.attach && cl.Handle.Namespace == "" {
		return cl.Release(cctx)
	}
	if env.RT.InActions() && ctx.Err() == nil && s.spec.Provider == provider.Kind {
		env.RT.Logf("%s stays for later steps of this job; the action's post step deletes it", cl.Handle)
		return cl.Release(cctx)
	}
	return cl.Close(cctx)
}

// reportPath is a file of the report directory, as a path relative to the
// repository (for outputs) and as a path to write.
func reportPath(env *stage.Env, name string) (rel, abs string) {
	rel = filepath.Join(env.Inputs.ReportDir, name)
	return filepath.ToSlash(rel), env.Inputs.Resolve(rel)
}

func title(r result.Result) string {
	var failed []string
	for _, c := range r.Checks {
		if c.Failed() {
			failed = append(failed, c.Name)
		}
	}
	switch {
	case len(failed) == 0:
		return "Smoke tests passed"
	case len(failed) <= 3:
		return "Failed: " + strings.Join(failed, ", ")
	}
	return fmt.Sprintf("%d of %d checks failed", len(failed), len(r.Checks))
}

func usesServices(checks []config.HTTPCheck) bool {
	for _, c := range checks {
		if c.Service != "" {
			return true
		}
	}
	return false
}
