package promote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// StateKey is the name under which a promotion saves its revision for the
// action's post step while the revision is unfinished; it is cleared
// when the promotion ends either way.
const StateKey = "promote-revision"

// saveState tells the post step which revision is unfinished ("" when
// none is).
func (p *promotion) saveState(rev string) {
	if p.rehearsal != nil {
		return // a rehearsal's cluster is the sandbox's: nothing for the post step
	}
	if err := p.env.RT.SaveState(StateKey, rev); err != nil {
		p.env.RT.Warnf("save the revision for the post step: %v", err)
	}
}

// Recover is the action's post step for a promotion whose main step did
// not finish (the job was cancelled, the process killed): a revision
// still promoting is repaired as the next promote would; one still live
// inside its window is rolled back to the revision before it, unless
// promote.rollback-on-cancel is off. A revision that reached good,
// failed or rolled-back needs nothing.
func Recover(ctx context.Context, env *stage.Env, saved string) (err error) {
	n, err := strconv.Atoi(saved)
	if err != nil || n < 1 {
		return fmt.Errorf("post: saved revision %q is not a revision number", saved)
	}
	s, err := parse(env)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	// The dead main step may still hold the Lease until it expires.
	s.cfg.LockTimeout = max(s.cfg.LockTimeout, cmp.Or(s.cfg.LockDuration, time.Minute)+10*time.Second)
	p := &promotion{env: env, s: s, res: result.Result{Stage: "promote"}}
	release, err := p.openProduction(ctx)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	defer func() { err = errors.Join(err, release()) }()
	p.store = history.NewStore(p.cl.Client, s.namespace, s.app, s.environment)
	all, err := p.store.List(ctx)
	if err != nil {
		return err
	}
	var rev *history.Revision
	for i := range all {
		if all[i].Number == n {
			rev = &all[i]
		}
	}
	switch {
	case rev == nil:
		return fmt.Errorf("post: revision %d is not in the history any more: %s", n, listRevisions(all))
	case rev.State == history.Promoting:
		msg, err := p.repair(ctx, *rev, all)
		if err == nil {
			env.RT.Logf("post: %s", msg)
		}
		return err
	case rev.State != history.Live:
		env.RT.Logf("post: revision %d is %s: nothing to recover", n, rev.State)
		return nil
	case !s.cfg.RollbackWhenCancelled():
		env.RT.Warnf("post: revision %d is live and its watched window did not finish; promote.rollback-on-cancel is off, so it stays", n)
		return nil
	case rev.Previous == 0:
		env.RT.Warnf("post: revision %d was the first promotion: there is nothing to roll back to, so it stays (its window did not finish)", n)
		return nil
	}
	prev, err := p.store.Get(ctx, rev.Previous)
	if err != nil {
		return err
	}
	p.rev, p.live = *rev, &prev
	p.s.cfg.Strategy = rev.Strategy
	p.replicas = byReplicas(*rev)
	objs, err := objectsOf(prev)
	if err != nil {
		return err
	}
	p.loaded = deploy.Loaded{Objects: objs}
	pods := podSelector(objs)
	if rev.Strategy != config.Rolling {
		if p.plan, err = p.planOf(*rev); err != nil {
			return err
		}
		pods = p.plan.Selector()
	}
	if p.win, err = p.newWindow(ctx, pods); err != nil {
		return err
	}
	defer p.win.stop()
	err = p.rollback(ctx, "the job was cancelled inside the watched window (rolled back by the action's post step)", time.Now())
	for _, c := range p.res.Checks {
		if c.Failed() {
			err = errors.Join(err, fmt.Errorf("%s: %s", c.Name, c.Findings[0].Title))
		}
	}
	return err
}
