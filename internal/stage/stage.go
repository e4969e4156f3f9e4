// Package stage defines what every stage is given and returns. Stages live
// in the packages below this one, one each.
package stage

import (
	"context"
	"time"

	"github.com/shipgate/shipgate/internal/actionio"
	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/kubeversion"
	"github.com/shipgate/shipgate/internal/publish"
	"github.com/shipgate/shipgate/internal/report"
)

// Inputs are the action's inputs, or the CLI's flags of the same names.
type Inputs struct {
	Stage             string
	GitHubToken       string
	KubernetesVersion string
	Manifests         string
	Config            string
	ReportDir         string
	// Base and Head are the CLI's branch to merge into and revision to
	// merge; in Actions they come from the event.
	Base, Head string
	// Repo is the repository's working directory (GITHUB_WORKSPACE in Actions).
	Repo string
}

// Env is everything a stage runs with. Stages do no I/O outside it and
// their own package's job.
type Env struct {
	Inputs Inputs
	Config config.Config
	// Target is the parsed kubernetes-version; zero when the input is empty.
	Target kubeversion.Version
	RT     *actionio.Runtime
	Job    actionio.Job
	// Event is the triggering event; nil outside Actions.
	Event *actionio.Event
	// GitHub is nil outside Actions.
	GitHub    *ghapi.Client
	Publisher *publish.Publisher
	Now       func() time.Time
	Sleep     func(context.Context, time.Duration) error
}

// Stage is one value of the stage input.
type Stage interface {
	// Validate checks what only this stage needs, before any side effect.
	Validate(env *Env) error
	// Run does the stage's work and returns one result per target (e.g. per
	// pull request checked). An error means the stage could not run.
	Run(ctx context.Context, env *Env) ([]report.Target, error)
}
