// Package stage defines what every stage is given and returns. Stages live
// in the packages below this one, one each.
package stage

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
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

	// Cluster inputs (sandbox, smoke).
	Provider       string // kind, existing or local
	NodeImage      string // kind node image overriding the pinned table
	KindConfig     string // kind config file, relative to the repository
	Kubeconfig     string // kubeconfig content for provider existing (a secret)
	KubeconfigPath string // kubeconfig file of a cluster an earlier step made
	Namespace      string // namespace to use in that cluster
	Timeout        string // readiness deadline, a Go duration
	KeepOnFailure  string // "true" keeps the cluster after a failure
	Image          string // the pull request's image (name:tag or name@digest)

	// ProductionKubeconfig (a secret) or, on the command line,
	// ProductionKubeconfigPath is production's kubeconfig, read with get
	// and list only to measure the sandbox's parity.
	ProductionKubeconfig, ProductionKubeconfigPath string

	// Smoke inputs.
	SmokeCommand string
	Disruption   string // "true" watches a rollout from the base to the head

	// Build inputs.
	BuildStep string // plan or merge
	Platforms string // comma-separated, e.g. linux/amd64,linux/arm64
	Runners   string // platform=runner lines overriding the default map
	Emulate   string // "true" builds with QEMU on one runner
	Digests   string // platform=digest lines from the build jobs
	Tags      string // tags pushed for the index, comma- or newline-separated

	// Auto-merge inputs.
	MergeMethod string // merge, squash or rebase
	MergeToken  string // GitHub App token or PAT; merges made with it trigger push workflows
	HeadSHA     string // the head SHA the gates tested; the event's when empty

	// Promote and rollback inputs.
	Environment string // the GitHub environment, also the name of the revision history, e.g. production
	ToRevision  string // rollback: the revision number to return to; empty is the last good one
	FastTrack   string // rollback: "true" skips the checks and restores traffic at once
	Reason      string // rollback: why, recorded in the history
}

// Resolve makes p, a path input, relative to the repository unless it is
// absolute or empty.
func (in Inputs) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(in.Repo, p)
}

// Bool reads a true/false input; empty is false. The error names the input.
func Bool(input, value string) (bool, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(value)
	if err != nil {
		return false, fmt.Errorf("input %s %q: use true or false", input, value)
	}
	return b, nil
}

// Duration reads a Go duration input above 0; empty is def. The error
// names the input.
func Duration(input, value string, def time.Duration) (time.Duration, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return def, nil
	}
	d, err := time.ParseDuration(value)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("input %s %q: want a Go duration above 0, e.g. 10m or 90s", input, value)
	}
	return d, nil
}

// Env is everything a stage runs with. Stages do no I/O outside it and
// their own package's job.
type Env struct {
	Inputs Inputs
	Config config.Config
	// Target is the parsed kubernetes-version, the newest when it lists
	// several; zero when the input is empty.
	Target kubeversion.Version
	// Targets are all the versions kubernetes-version lists (with skew
	// expanded), newest first.
	Targets []kubeversion.Version
	RT      *actionio.Runtime
	Job     actionio.Job
	// Event is the triggering event; nil outside Actions.
	Event *actionio.Event
	// GitHub is nil outside Actions.
	GitHub    *ghapi.Client
	Publisher *publish.Publisher
	Now       func() time.Time
	// Sleep waits, or returns early with ctx's error.
	Sleep func(context.Context, time.Duration) error
}

// Stage is one value of the stage input.
type Stage interface {
	// Validate checks what only this stage needs, before any side effect.
	Validate(env *Env) error
	// Run does the stage's work and returns one result per target (e.g. per
	// pull request checked). An error means the stage could not run.
	Run(ctx context.Context, env *Env) ([]report.Target, error)
}

// HeadSHA is the commit a stage's check run belongs to: the pull request's
// or merge group's head, else the commit the workflow runs on; empty
// outside Actions.
func (e *Env) HeadSHA() string {
	switch {
	case e.Event != nil && e.Event.PullRequest != nil:
		return e.Event.PullRequest.Head.SHA
	case e.Event != nil && e.Event.MergeGroup != nil:
		return e.Event.MergeGroup.HeadSHA
	}
	return e.Job.SHA
}
