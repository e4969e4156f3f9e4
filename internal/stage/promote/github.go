package promote

import (
	"context"
	"fmt"
	"strconv"

	"github.com/shipgate/shipgate/internal/ghapi"
	"github.com/shipgate/shipgate/internal/history"
)

// deployments is the promotion's GitHub deployment: what the
// repository's Deployments page shows as live. Without GitHub (the
// command line) or with a read-only token it does nothing, and says so
// once.
type deployments struct {
	p  *promotion
	gh *ghapi.Client
	id int64
}

func newDeployments(ctx context.Context, p *promotion) *deployments {
	return openDeployment(ctx, p, p.env.HeadSHA(), p.rev.Number, fmt.Sprintf("shipgate revision %d of %s", p.rev.Number, p.s.app))
}

// newRollbackDeployments records a rollback as a deployment of the
// restored revision's commit.
func newRollbackDeployments(ctx context.Context, p *promotion, to history.Revision) *deployments {
	return openDeployment(ctx, p, to.SHA, to.Number, fmt.Sprintf("shipgate rollback of %s to revision %d", p.s.app, to.Number))
}

// openDeployment creates a deployment of sha for a revision, in progress.
func openDeployment(ctx context.Context, p *promotion, sha string, revision int, description string) *deployments {
	d := &deployments{p: p, gh: p.env.GitHub}
	if d.gh == nil || sha == "" {
		return d
	}
	id, err := d.gh.CreateDeployment(ctx, ghapi.NewDeployment{
		Ref: sha, Environment: p.s.environment, ProductionEnvironment: true, Description: description,
		Payload: map[string]any{"app": p.s.app, "revision": revision, "strategy": p.s.cfg.StrategyName()},
	})
	if err != nil {
		d.warn("create the GitHub deployment", err)
		return d
	}
	d.id = id
	d.status(ctx, "in_progress", description)
	return d
}

// warn says a GitHub call failed without failing the promotion.
func (d *deployments) warn(what string, err error) {
	hint := ""
	if ghapi.IsForbidden(err) {
		hint = " (the token is read-only here: give the job deployments: write and pull-requests: write)"
	}
	d.p.env.RT.Warnf("%s: %v%s", what, err, hint)
	d.gh = nil
}

// status sets the deployment's status.
func (d *deployments) status(ctx context.Context, state, description string) {
	if d.gh == nil || d.id == 0 {
		return
	}
	err := d.gh.SetDeploymentStatus(ctx, d.id, ghapi.DeploymentStatus{
		State: state, Description: description, EnvironmentURL: d.p.s.cfg.EnvironmentURL, LogURL: d.p.env.Job.RunURL(),
	})
	if err != nil {
		d.warn("set the GitHub deployment's status to "+state, err)
	}
}

// finishGitHub ends the deployment: success (and the previous revision's
// deployment inactive), or failure and a comment on the pull requests
// that brought a rolled-back revision.
func (p *promotion) finishGitHub(ctx context.Context, runErr error) {
	d := p.gh
	if d == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	switch {
	case p.rolledBack:
		d.status(ctx, "failure", fmt.Sprintf("rolled back to revision %d", p.live.Number))
		p.commentOnPulls(ctx)
	case runErr != nil || p.res.Failed():
		d.status(ctx, "failure", fmt.Sprintf("revision %d failed", p.rev.Number))
	default:
		d.status(ctx, "success", fmt.Sprintf("revision %d is live", p.rev.Number))
		d.inactivatePrevious(ctx)
	}
}

// inactivatePrevious marks the deployments of earlier revisions of the
// app in the environment inactive: GitHub does that itself only for
// non-production environments.
func (d *deployments) inactivatePrevious(ctx context.Context) {
	if d.gh == nil || d.p.live == nil {
		return
	}
	all, err := d.gh.Deployments(ctx, d.p.s.environment)
	if err != nil {
		d.warn("list the environment's GitHub deployments", err)
		return
	}
	for _, dep := range all {
		if dep.ID == d.id || dep.Payload["app"] != d.p.s.app {
			continue
		}
		if rev, _ := strconv.Atoi(fmt.Sprint(dep.Payload["revision"])); rev == d.p.live.Number {
			if err := d.gh.SetDeploymentStatus(ctx, dep.ID, ghapi.DeploymentStatus{State: "inactive", Description: fmt.Sprintf("replaced by revision %d", d.p.rev.Number)}); err != nil {
				d.warn("mark the previous deployment inactive", err)
				return
			}
		}
	}
}

// commentOnPulls tells the pull requests that brought a rolled-back
// revision what fired.
func (p *promotion) commentOnPulls(ctx context.Context) {
	d := p.gh
	if d.gh == nil || p.rev.SHA == "" {
		return
	}
	pulls, err := d.gh.PullsForCommit(ctx, p.rev.SHA)
	if err != nil {
		d.warn("find the pull request of "+p.rev.SHA, err)
		return
	}
	body := fmt.Sprintf("**shipgate rolled back %s in `%s`** (revision %d → %d).\n\n%s\n\n[The run](%s) has the timeline, the rule evaluations and the JUnit report.",
		p.s.app, p.s.environment, p.rev.Number, p.live.Number, p.rev.Reason, p.env.Job.RunURL())
	for _, n := range pulls {
		if _, err := d.gh.CommentOnPull(ctx, n, body); err != nil {
			d.warn(fmt.Sprintf("comment on pull request #%d", n), err)
			return
		}
	}
}
