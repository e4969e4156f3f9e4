package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// scaleDownAndPrune ends a good promotion: the old revision's pods go,
// revisions beyond promote.keep-revisions are deleted with what they
// ran, and objects the manifests no longer have are removed.
func (p *promotion) scaleDownAndPrune(ctx context.Context) error {
	began := time.Now()
	var errs []error
	if p.live != nil && p.s.cfg.StrategyName() != config.Rolling {
		errs = append(errs, bluegreen.Scale(ctx, p.cl.Client, workloadsOf(*p.live), 0))
	}
	pruned, err := p.store.Prune(ctx, p.s.cfg.Keep())
	errs = append(errs, err)
	for _, n := range pruned {
		errs = append(errs, p.deleteRevisionObjects(ctx, n))
	}
	removed, err := p.removeDropped(ctx)
	errs = append(errs, err)
	desc := "The previous revision is scaled to zero"
	if p.live == nil {
		desc = "Nothing to scale down (first promotion)"
	}
	desc += fmt.Sprintf("; %d old revision(s) pruned (keeping %d); %d object(s) no longer in the manifests removed.", len(pruned), p.s.cfg.Keep(), len(removed))
	var f *result.Finding
	if err := errors.Join(errs...); err != nil {
		f = &result.Finding{Level: result.Warning, Title: "Clean-up after the promotion was incomplete", Message: err.Error() + "\nThe promotion itself succeeded; the next promotion tries the clean-up again."}
	}
	p.step(CheckScaleDown, desc, began, f)
	for _, r := range removed {
		p.note("Removed %s: no longer in the manifests.", r)
	}
	return nil
}

// revisioned are the kinds a blue-green revision has copies of.
var revisioned = []struct{ group, version, resource string }{
	{"apps", "v1", "deployments"}, {"", "v1", "services"}, {"", "v1", "configmaps"}, {"", "v1", "secrets"},
}

// deleteRevisionObjects deletes what a pruned revision ran: its
// Deployments, preview Services and config copies (its history record is
// not among them: records carry the environment label).
func (p *promotion) deleteRevisionObjects(ctx context.Context, n int) error {
	sel := labels.Set{bluegreen.LabelApp: p.s.app, bluegreen.LabelRevision: strconv.Itoa(n)}.AsSelector().String() + ",!shipgate.io/environment"
	var errs []error
	for _, r := range revisioned {
		res := p.kc.Dynamic.Resource(gvr(r.group, r.version, r.resource)).Namespace(p.s.namespace)
		policy := metav1.DeletePropagationBackground
		if err := res.DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &policy}, metav1.ListOptions{LabelSelector: sel}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete the %s of pruned revision %d: %w", r.resource, n, err))
		}
	}
	return errors.Join(errs...)
}

// removeDropped deletes the objects the live revision had in place
// (shared objects, production Services, followers) that the new
// manifests no longer have.
func (p *promotion) removeDropped(ctx context.Context) ([]kube.ID, error) {
	if p.live == nil {
		return nil, nil
	}
	old, err := objectsOf(*p.live)
	if err != nil {
		return nil, err
	}
	now := kubeIDs(p.loaded.Objects)
	var removed []kube.ID
	var errs []error
	for _, o := range old {
		id := o.ID()
		if slices.Contains(now, id) || (id.Group == "apps" && id.Kind == "Deployment" && p.s.cfg.StrategyName() == config.BlueGreen) {
			continue // a blue-green revision's Deployments go with its revision
		}
		res, namespaced, err := p.kc.Resource(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ri := p.kc.Dynamic.Resource(res)
		if namespaced {
			err = ri.Namespace(id.Namespace).Delete(ctx, id.Name, metav1.DeleteOptions{})
		} else {
			err = ri.Delete(ctx, id.Name, metav1.DeleteOptions{})
		}
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("remove %s: %w", id, err))
		default:
			removed = append(removed, id)
		}
	}
	return removed, errors.Join(errs...)
}

func gvr(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}
