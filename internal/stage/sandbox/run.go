package sandbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// CleanupTimeout bounds the removal of a cluster or namespace, also after
// the run was cancelled.
const CleanupTimeout = 3 * time.Minute

// runVersion runs the steps for one Kubernetes version. handles collects
// what every version made, saved for the post step as it grows.
func runVersion(ctx context.Context, env *stage.Env, s settings, version string, loaded deploy.Loaded, handles *[]provider.Handle) (t report.Target, err error) {
	if len(s.versions) > 1 {
		t.Label = version
	}
	check := env.Publisher.Begin(ctx, CheckRunName(version), env.HeadSHA())
	res := result.Result{Stage: "sandbox", Started: env.Now()}
	end := func(res result.Result) report.Target {
		res.Finished = env.Now()
		res.Title = title(res)
		t.Result = res
		check.End(ctx, t)
		return t
	}

	// 0. Manifests that did not load (or name images that do not exist)
	// are reported without making a cluster.
	if loaded.Failed() {
		dep, err := deploy.Apply(ctx, nil, loaded, deploy.Options{})
		if err != nil {
			return t, err
		}
		tiers, _, err := healthTiers(ctx, env, nil, nil, dep)
		if err != nil {
			return t, err
		}
		res.Checks = append(append(res.Checks, dep.Checks...), tiers...)
		res.Notes = append(res.Notes, "No cluster was made: the manifests cannot be deployed as they are.")
		if s.production != nil {
			res.Notes = append(res.Notes, "Parity with production was not measured: no cluster was made.")
		}
		return end(res), nil
	}
	sp := spec(env, s, version)
	slot := len(*handles)
	*handles = append(*handles, provider.Handle{})
	save := func(h provider.Handle) error {
		(*handles)[slot] = h
		return env.RT.SaveState(provider.StateKey, provider.EncodeHandles(*handles))
	}

	// 1. Pull the image under test for this runner (kind loads it into its
	// nodes as it creates them).
	archive, podImage, dropArchive, err := pullImage(ctx, env, s)
	if err != nil {
		return t, err
	}
	defer dropArchive()
	sp.ImageArchive = archive

	// 2. Create the cluster and namespace; the handle is saved before
	// anything exists, so the post step can remove a half-made cluster.
	began := env.Now()
	cl, err := provider.Open(ctx, sp, save)
	if err != nil {
		return t, fmt.Errorf("sandbox %s: %w", cmp.Or(version, s.provider), err)
	}
	defer func() {
		failed := err != nil || t.Result.Failed()
		err = errors.Join(err, finish(ctx, env, s, cl, failed, save))
	}()
	res.Notes = append(res.Notes, fmt.Sprintf("Cluster: provider %s, Kubernetes %s, namespace `%s`, ready in %s.",
		s.provider, cl.ServerVersion, cl.Handle.UsedNamespace, env.Now().Sub(began).Round(100*time.Millisecond)))
	res.Notes = append(res.Notes, cl.Notes...)
	if err := setOutputs(env, cl); err != nil {
		return t, err
	}

	// 3–5. Apply the loaded manifests server-side, wait for readiness.
	kc, err := kube.NewClient(cl.Config)
	if err != nil {
		return t, err
	}
	dep, err := deploy.Apply(ctx, kc, loaded, deploy.Options{
		Namespace: cl.Handle.UsedNamespace, Image: podImage, Timeout: s.timeout, Logf: env.RT.Logf,
	})
	if err != nil {
		return t, fmt.Errorf("sandbox %s: deploy: %w", cmp.Or(version, s.provider), err)
	}
	res.Checks = append(res.Checks, dep.Checks...)
	for _, img := range dep.Images {
		res.Notes = append(res.Notes, "Image set: "+img)
	}

	// 5b. With production-kubeconfig: parity with production, read with
	// get and list only, and what the manifests use that it lacks.
	pc, pnotes, err := measureParity(ctx, env, s, cl, loaded)
	if err != nil {
		return t, fmt.Errorf("sandbox %s: %w", cmp.Or(version, s.provider), err)
	}
	res.Checks = append(res.Checks, pc...)
	res.Notes = append(res.Notes, pnotes...)

	// 6. The health tiers: basic, service, business.
	tiers, notes, err := healthTiers(ctx, env, cl, kc, dep)
	if err != nil {
		return t, fmt.Errorf("sandbox %s: health: %w", cmp.Or(version, s.provider), err)
	}
	res.Checks = append(res.Checks, tiers...)
	res.Notes = append(res.Notes, notes...)

	// 7. When something failed: events, pod states and logs into the
	// report directory.
	if res.Failed() {
		res.Notes = append(res.Notes, diagnose(ctx, env, cl, version)...)
	}
	// 8. Cleanup runs in the deferred finish.
	return end(res), nil
}

// setOutputs publishes where the cluster is, for later steps.
func setOutputs(env *stage.Env, cl *provider.Cluster) error {
	for _, o := range [][2]string{
		{"cluster-name", cl.Handle.ClusterName},
		{"kubeconfig-path", cl.KubeconfigPath},
		{"namespace", cl.Handle.UsedNamespace},
	} {
		if err := env.RT.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	return nil
}

// diagnose writes the namespace's events, pod states and logs under the
// report directory and returns notes saying where.
func diagnose(ctx context.Context, env *stage.Env, cl *provider.Cluster, version string) []string {
	rel := filepath.Join(env.Inputs.ReportDir, "sandbox-diagnostics", cmp.Or(version, "cluster"))
	dir := env.Inputs.Resolve(rel)
	files, err := kube.Diagnose(ctx, cl.Client, cl.Handle.UsedNamespace, dir)
	notes := []string{fmt.Sprintf("Diagnostics (events, pod states, logs) in `%s`: %s.", filepath.ToSlash(rel), strings.Join(files, ", "))}
	if err != nil {
		notes = append(notes, "Some diagnostics could not be collected: "+err.Error())
	}
	if extra := cl.ExportLogs(ctx, filepath.Join(dir, "cluster-logs")); extra != "" {
		notes = append(notes, extra)
	}
	return notes
}

// finish removes the cluster and namespace, leaves them for the post step
// (in Actions, where later steps may use them), or keeps them for
// debugging after a failure when asked. It runs after cancellation too,
// on its own deadline.
func finish(ctx context.Context, env *stage.Env, s settings, cl *provider.Cluster, failed bool, save func(provider.Handle) error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
	defer cancel()
	switch {
	case s.keep && failed:
		h := cl.Handle
		h.Keep = true
		err := errors.Join(save(h), cl.Release(cctx))
		env.RT.Logf("keep-on-failure: %s kept for debugging%s", h, keptHint(cl))
		return err
	case env.RT.InActions() && ctx.Err() == nil && s.provider != provider.Local:
		env.RT.Logf("%s stays for later steps of this job; the action's post step deletes it", cl.Handle)
		return cl.Release(cctx)
	}
	if ctx.Err() != nil {
		env.RT.Logf("cancelled: removing %s", cl.Handle)
	}
	return cl.Close(cctx)
}

func keptHint(cl *provider.Cluster) string {
	if cl.KubeconfigPath != "" {
		return "; kubeconfig: " + cl.KubeconfigPath
	}
	return ""
}

// title is the check run's headline.
func title(r result.Result) string {
	failed := 0
	for _, c := range r.Checks {
		if c.Failed() {
			failed++
		}
	}
	if failed == 0 {
		return "Deployed and healthy"
	}
	return fmt.Sprintf("%d of %d checks failed", failed, len(r.Checks))
}
