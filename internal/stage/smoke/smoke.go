// Package smoke is the smoke stage: the smoke checks declared in the
// config file (HTTP requests retried until a deadline), a smoke command
// (go test output becomes one JUnit case per test), and, with disruption,
// a rollout under watch — the base version deployed, the monitor started,
// the pull request's version rolled out, the monitor stopped — so that
// "zero-downtime" is a measured result with a timeline, before production.
package smoke

import (
	"context"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/stage"
)

// CheckRunName is the name of the stage's check run.
const CheckRunName = "shipgate / smoke"

// Stage is the smoke stage.
type Stage struct{}

// settings are the stage's inputs, parsed.
type settings struct {
	disruption bool
	timeout    time.Duration
	// attach says a cluster is given (kubeconfig or kubeconfig-path): the
	// sandbox's, or an existing one.
	attach bool
	// cluster says whether the stage needs a cluster at all.
	cluster bool
	spec    provider.Spec
}

func parse(env *stage.Env) (settings, error) {
	in := env.Inputs
	var s settings
	var err error
	if s.disruption, err = stage.Bool("disruption", in.Disruption); err != nil {
		return s, err
	}
	if s.timeout, err = stage.Duration("timeout", in.Timeout, 10*time.Minute); err != nil {
		return s, err
	}
	cfg := env.Config.Smoke
	if !s.disruption && len(cfg.Checks) == 0 && in.SmokeCommand == "" && cfg.RehearseRollback == nil {
		return s, fmt.Errorf("smoke has nothing to run: add smoke.checks to the config file, set smoke-command, set disruption: true (with smoke.disruption.endpoints) to watch a rollout, or smoke.rehearse-rollback to rehearse the way back")
	}
	s.attach = in.Kubeconfig != "" || in.KubeconfigPath != ""
	s.cluster = s.disruption || s.attach || usesServices(cfg.Checks) || cfg.RehearseRollback != nil
	p := in.Provider
	switch {
	case s.attach:
		p = provider.Existing
	case p == "" && env.RT.InActions():
		p = provider.Kind
	case p == "":
		p = provider.Local
	}
	if s.attach && !s.disruption && in.Namespace == "" {
		return s, fmt.Errorf("input namespace is empty: with a kubeconfig, smoke checks the app where it runs; pass the sandbox's namespace output (or set disruption: true to deploy into a fresh one)")
	}
	run := provider.RunName(env.Job.RunID, env.Job.RunAttempt) + "-smoke"
	s.spec = provider.Spec{
		Provider: p, KubernetesVersion: targetVersion(env), NodeImage: in.NodeImage, KindConfig: in.KindConfig,
		Kubeconfig: in.Kubeconfig, KubeconfigPath: in.Resolve(in.KubeconfigPath),
		Namespace: in.Namespace, RunID: run, Workspace: in.Repo, ReportDir: in.ReportDir,
		InContainer: env.RT.InActions(), Logf: env.RT.Logf,
	}
	if s.cluster {
		return s, s.spec.Validate()
	}
	return s, nil
}

// loadOptions say what deploy.Load reads: the manifests of the workspace,
// the image under test, and the registries asked with the runner's docker
// credentials plus the workflow's token for ghcr.io.
func loadOptions(env *stage.Env) deploy.Options {
	in := env.Inputs
	return deploy.Options{
		Root: in.Repo, Manifests: in.Manifests, Image: in.Image, Logf: env.RT.Logf,
		Registry: deploy.GitHubRegistry(in.GitHubToken, env.RT.Getenv("GITHUB_ACTOR")),
	}
}

// Validate checks the inputs before anything is made.
func (Stage) Validate(env *stage.Env) error {
	_, err := parse(env)
	return err
}

// Run runs the stage once.
func (Stage) Run(ctx context.Context, env *stage.Env) ([]report.Target, error) {
	s, err := parse(env)
	if err != nil {
		return nil, err
	}
	t, err := run(ctx, env, s)
	if err != nil {
		return nil, err
	}
	return []report.Target{t}, nil
}

func targetVersion(env *stage.Env) string {
	if len(env.Targets) == 0 {
		return ""
	}
	return env.Target.String()
}
