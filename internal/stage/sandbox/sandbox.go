// Package sandbox is the sandbox stage: a throwaway cluster at the target
// Kubernetes version (kind in Actions, the local control plane on a
// laptop, or a fresh namespace in an existing cluster), the pull request
// deployed into it, three health tiers (basic, service, business), a
// report per version, and cleanup — at the end of the run, or in the
// action's post step so it happens even when the job fails or is
// cancelled.
package sandbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/kubeversion"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/report"
	"github.com/shipgate/shipgate/internal/stage"
)

// CheckRunName names the check run of one version.
func CheckRunName(v string) string {
	if v == "" {
		return "shipgate / sandbox"
	}
	return fmt.Sprintf("shipgate / sandbox (%s)", v)
}

// Stage is the sandbox stage.
type Stage struct{}

// settings are the stage's inputs, parsed.
type settings struct {
	provider string
	timeout  time.Duration
	keep     bool
	versions []string // "" when no version was given
	// production is production's read-only view; nil when not given.
	production *rest.Config
}

// parse reads and checks the stage's inputs.
func parse(env *stage.Env) (settings, error) {
	in := env.Inputs
	s := settings{provider: in.Provider}
	if s.provider == "" {
		s.provider = provider.Local
		if env.RT.InActions() {
			s.provider = provider.Kind
		}
	}
	var err error
	if s.timeout, err = stage.Duration("timeout", in.Timeout, 10*time.Minute); err != nil {
		return s, err
	}
	if s.keep, err = stage.Bool("keep-on-failure", in.KeepOnFailure); err != nil {
		return s, err
	}
	if s.production, err = productionConfig(in); err != nil {
		return s, err
	}
	for _, v := range env.Targets {
		s.versions = append(s.versions, v.String())
	}
	if len(s.versions) == 0 {
		if s.provider == provider.Kind && in.NodeImage == "" {
			return s, fmt.Errorf("provider kind needs kubernetes-version (e.g. v1.31.0, or \"v1.31.0, %s\") or node-image", kubeversion.SkewWord)
		}
		s.versions = []string{""}
	}
	if len(s.versions) > 1 && in.Namespace != "" {
		return s, fmt.Errorf("input namespace %q cannot be shared by %d versions; leave it empty so each version gets its own", in.Namespace, len(s.versions))
	}
	return s, spec(env, s, s.versions[0]).Validate()
}

// spec is what the provider is asked for, for one version.
func spec(env *stage.Env, s settings, version string) provider.Spec {
	in := env.Inputs
	run := provider.RunName(env.Job.RunID, env.Job.RunAttempt)
	if len(s.versions) > 1 {
		run += "-" + strings.ReplaceAll(strings.TrimPrefix(version, "v"), ".", "-")
	}
	return provider.Spec{
		Provider: s.provider, KubernetesVersion: version,
		NodeImage: in.NodeImage, KindConfig: in.KindConfig,
		Kubeconfig: in.Kubeconfig, KubeconfigPath: in.KubeconfigPath,
		Namespace: in.Namespace, RunID: run,
		Workspace: in.Repo, ReportDir: in.ReportDir,
		InContainer: env.RT.InActions(),
		Logf:        env.RT.Logf,
	}
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

// Run runs the sandbox once per target version, one after another; the
// reusable workflow runs versions in parallel as a matrix instead.
func (Stage) Run(ctx context.Context, env *stage.Env) ([]report.Target, error) {
	s, err := parse(env)
	if err != nil {
		return nil, err
	}
	// The manifests are read and their images looked up once, before any
	// cluster exists: what is wrong with them costs no cluster.
	loaded, err := deploy.Load(ctx, loadOptions(env))
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	var targets []report.Target
	var handles []provider.Handle
	for _, v := range s.versions {
		t, err := runVersion(ctx, env, s, v, loaded, &handles)
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	return targets, nil
}
