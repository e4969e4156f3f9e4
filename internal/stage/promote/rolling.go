package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// rolling applies the new revision in place, under the monitor, and
// watches it; the previous revision is restorable from the history.
func (p *promotion) rolling(ctx context.Context) error {
	// The monitor starts before the update, except on a first promotion,
	// whose Services the update creates.
	var err error
	first := p.live == nil
	if !first {
		if p.win, err = p.newWindow(ctx, podSelector(p.loaded.Objects)); err != nil {
			return p.abandon(ctx, "could not start the monitor", err)
		}
		defer p.win.stop()
		p.win.mark("apply", fmt.Sprintf("revision %d applied in place", p.rev.Number))
	}
	began := time.Now()
	dep, err := deploy.Apply(ctx, p.kc, p.loaded, deploy.Options{Namespace: p.s.namespace, Timeout: p.s.timeout, Logf: p.env.RT.Logf})
	if err != nil {
		return p.rollback(context.WithoutCancel(ctx), "the rolling update could not run: "+err.Error(), time.Now())
	}
	switched := time.Now()
	if first && !dep.Failed() {
		if _, err := bluegreen.EndpointsReady(ctx, p.cl.Client, serviceIDs(p.loaded.Objects), verifyTimeout); err != nil {
			return errors.Join(err, p.markFailed(ctx, "the first rollout's Services got no endpoints"))
		}
		if p.win, err = p.newWindow(ctx, podSelector(p.loaded.Objects)); err != nil {
			return errors.Join(err, p.markFailed(ctx, "the monitor could not start after the first rollout"))
		}
		defer p.win.stop()
	}
	if dep.Failed() {
		var titles []string
		for _, f := range dep.Checks {
			for _, x := range f.Findings {
				titles = append(titles, x.Location()+" "+x.Title)
			}
		}
		p.step(CheckDeploy, "The new revision rolls out in place and becomes ready.", began, &result.Finding{Title: "The rolling update did not become ready", Message: bulletList(titles)})
		return p.rollback(context.WithoutCancel(ctx), "the rolling update did not become ready", switched)
	}
	p.step(CheckDeploy, fmt.Sprintf("Revision %d rolled out in place and is ready (%s).", p.rev.Number, deployText(dep)), began, nil)
	if p.rev, err = p.store.SetState(ctx, p.rev.Number, history.Live, "rolled out", func(r *history.Revision) { r.Switched = switched }); err != nil {
		return p.rollback(context.WithoutCancel(ctx), "recording the rollout failed: "+err.Error(), switched)
	}
	return p.watchAndFinish(ctx, switched)
}

func deployText(dep deploy.Result) string {
	if len(dep.Images) == 0 {
		return "no image changed"
	}
	return strings.Join(dep.Images, "; ")
}

// podSelector selects the pods of the manifests' Deployments (their
// matchLabels, ORed by listing each set; the first is used when several
// differ — restarts of the others are still seen by the monitor).
func podSelector(objs []kube.Object) string {
	for _, o := range objs {
		if o.Obj.GetKind() != "Deployment" {
			continue
		}
		if ml, ok, _ := unstructured.NestedStringMap(o.Obj.Object, "spec", "selector", "matchLabels"); ok && len(ml) > 0 {
			return labels.Set(ml).String()
		}
	}
	return labels.Everything().String()
}

// serviceIDs are the Services among objs.
func serviceIDs(objs []kube.Object) []kube.ID {
	var out []kube.ID
	for _, o := range objs {
		if id := o.ID(); id.Group == "" && id.Kind == "Service" {
			out = append(out, id)
		}
	}
	return out
}
