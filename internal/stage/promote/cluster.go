package promote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/lease"
	"github.com/shipgate/shipgate/internal/result"
)

// permission is one verb on one resource the stage needs.
type permission struct {
	group, resource string
	verbs           []string
}

// basePermissions are what every promotion needs in the namespace: its
// own bookkeeping (Lease, history Secrets) and what it watches and
// switches. The manifests' own kinds are added to them.
var basePermissions = []permission{
	{"coordination.k8s.io", "leases", []string{"get", "create", "update", "delete", "watch"}},
	{"", "secrets", []string{"get", "list", "create", "update", "delete"}},
	{"apps", "deployments", []string{"get", "list", "watch", "create", "patch", "delete"}},
	{"apps", "replicasets", []string{"list", "watch"}},
	{"", "services", []string{"get", "list", "watch", "create", "patch"}},
	{"", "pods", []string{"get", "list", "watch"}},
	{"", "events", []string{"list"}},
	{"discovery.k8s.io", "endpointslices", []string{"list", "watch"}},
}

// RBACRules are the permissions a production kubeconfig needs, as Role
// rules for the documentation, without the manifests' own kinds (get,
// patch, create and delete on each).
func RBACRules() []string {
	var out []string
	for _, p := range basePermissions {
		out = append(out, fmt.Sprintf("%s/%s: %s", orCore(p.group), p.resource, strings.Join(p.verbs, ", ")))
	}
	return out
}

func orCore(group string) string {
	if group == "" {
		return "core"
	}
	return group
}

// access asks the API server (SelfSubjectAccessReview) whether the
// kubeconfig may do everything the promotion will do, before it does any
// of it; what is missing is listed exactly.
func (p *promotion) access(ctx context.Context) error {
	began := time.Now()
	perms := slices.Clone(basePermissions)
	seen := map[string]bool{}
	for _, o := range p.loaded.Objects {
		id := o.ID()
		gvr, namespaced, err := p.kc.Resource(id)
		if err != nil {
			return fmt.Errorf("input manifests: %s (%s): the cluster does not serve this kind: %w", id, o.Source, err)
		}
		if !namespaced || seen[gvr.Resource] {
			continue
		}
		seen[gvr.Resource] = true
		verbs := []string{"get", "create", "patch", "delete"}
		if gvr.Resource == "httproutes" {
			verbs = append(verbs, "list", "watch") // a weighted shift watches the route's status
		}
		perms = append(perms, permission{gvr.Group, gvr.Resource, verbs})
	}
	if p.throughServiceProxy() {
		perms = append(perms, permission{"", "services/proxy", []string{"get"}})
	}
	var missing []string
	for _, perm := range perms {
		resource, sub, _ := strings.Cut(perm.resource, "/")
		for _, verb := range perm.verbs {
			review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: p.s.namespace, Verb: verb, Group: perm.group, Resource: resource, Subresource: sub},
			}}
			got, err := p.cl.Client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("ask the API server what the kubeconfig may do (SelfSubjectAccessReview): %w", err)
			}
			if !got.Status.Allowed {
				missing = append(missing, fmt.Sprintf("%s %s/%s", verb, orCore(perm.group), perm.resource))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the kubeconfig may not do what a promotion does in namespace %s; grant it (a Role bound to its user or service account) these verbs and run again — nothing was changed:\n  %s",
			p.s.namespace, strings.Join(missing, "\n  "))
	}
	p.step(CheckAccess, fmt.Sprintf("The kubeconfig may do everything the promotion does in namespace %s (%d permissions checked with SelfSubjectAccessReview).", p.s.namespace, len(perms)), began, nil)
	return nil
}

// throughServiceProxy reports whether the promotion sends requests to a
// Service through the API server's service proxy: sampled traffic, checks,
// the load or the weighted split naming a service.
func (p *promotion) throughServiceProxy() bool {
	cfg := p.s.cfg
	if (cfg.Weighted.Split.Service != "" && p.replicas) || (cfg.Load.Enabled() && cfg.Load.Target.Service != "") {
		return true
	}
	for _, e := range cfg.Traffic.Endpoints {
		if e.Service != "" {
			return true
		}
	}
	for _, c := range cfg.Checks.Service {
		if c.Service != "" {
			return true
		}
	}
	return false
}

// acquire takes the Lease of the app in the environment.
func (p *promotion) acquire(ctx context.Context) error {
	began := time.Now()
	holder := p.env.Job.RunURL()
	if holder == "" {
		host, _ := os.Hostname()
		holder = fmt.Sprintf("%s pid %d", host, os.Getpid())
	}
	// The Lease is renewed until Release, also after a cancelled job: its
	// rollback still changes production.
	lock, err := lease.Acquire(context.WithoutCancel(ctx), lease.Options{
		Client: p.cl.Client, Namespace: p.s.namespace, Name: lease.LeaseName(p.s.app, p.s.environment),
		Holder: holder, RunURL: p.env.Job.RunURL(), Wait: p.s.cfg.LockTimeout, Duration: p.s.cfg.LockDuration, Logf: p.env.RT.Logf,
	})
	if err != nil {
		var held *lease.HeldError
		if errors.As(err, &held) {
			return fmt.Errorf("another promotion of %s to %s is running, nothing was changed: %w", p.s.app, p.s.environment, err)
		}
		return fmt.Errorf("promote lock: %w", err)
	}
	p.lock = lock
	p.step(CheckLock, fmt.Sprintf("This run holds the promotion lock of %s in %s (Lease %s/%s, renewed while it runs).", p.s.app, p.s.environment, p.s.namespace, lease.LeaseName(p.s.app, p.s.environment)), began, nil)
	return nil
}

// lockHeld says whether this run still holds the Lease: one that was
// lost (taken over after renewals failed, deleted) means another run may
// be changing production, so this one must stop without touching it.
func (p *promotion) lockHeld() error {
	if p.lock == nil {
		return nil
	}
	select {
	case <-p.lock.Lost():
		return fmt.Errorf("the promotion lock was lost (%v): another run may be changing production, so this one stopped without touching it further; see the history (shipgate history) and the Lease", p.lock.Err())
	default:
		return nil
	}
}

// readHistory finds the live revision, repairs what a dead runner left
// and says whether this change is live already (done: nothing to do).
func (p *promotion) readHistory(ctx context.Context) (done bool, err error) {
	began := time.Now()
	p.store = history.NewStore(p.cl.Client, p.s.namespace, p.s.app, p.s.environment)
	all, err := p.store.List(ctx)
	if err != nil {
		return false, fmt.Errorf("revision history: %w", err)
	}
	var repaired []string
	for _, r := range all {
		if r.State != history.Promoting {
			continue
		}
		msg, err := p.repair(ctx, r, all)
		if err != nil {
			return false, fmt.Errorf("repair revision %d, left promoting by a run that stopped (%s): %w", r.Number, r.RunURL, err)
		}
		repaired = append(repaired, msg)
	}
	live, ok, err := p.store.Live(ctx)
	if err != nil {
		return false, fmt.Errorf("revision history: %w", err)
	}
	desc := fmt.Sprintf("%d revision(s) of %s in %s; ", len(all), p.s.app, p.s.environment)
	if ok {
		p.live = &live
		desc += fmt.Sprintf("revision %d is live (%s, %s).", live.Number, live.State, orNone(live.Image))
	} else {
		desc += "none is live: this is the first promotion, so there is nothing to roll back to."
	}
	for _, m := range repaired {
		p.note("%s", m)
	}
	if ok && live.Names[digestKey] == digest(p.loaded.Objects) {
		p.rev = live
		p.step(CheckHistory, desc, began, nil)
		p.note("Revision %d already runs exactly these manifests and image: nothing to promote.", live.Number)
		return true, p.setOutputs()
	}
	p.step(CheckHistory, desc, began, nil)
	return false, nil
}

func orNone(s string) string {
	if s == "" {
		return "no image input"
	}
	return s
}

// prePromote runs the pre-promote command; false stops the promotion.
func (p *promotion) prePromote(ctx context.Context) bool {
	cmd := p.s.cfg.PrePromote
	if cmd == "" {
		p.skip(CheckPre, "no promote.pre-promote command (e.g. a Velero backup) is configured")
		return true
	}
	began := time.Now()
	out, err := runHook(ctx, cmd, p.env.Inputs.Repo, p.cl.KubeconfigFile, p.s.namespace)
	p.env.RT.Logf("pre-promote: %s", out)
	if err != nil {
		p.step(CheckPre, "The pre-promote command succeeds before any change: "+cmd, began, &result.Finding{
			Title:   "The pre-promote command failed; nothing was changed",
			Message: fmt.Sprintf("%s: %v\n%s", cmd, err, tail(out, 2000)),
		})
		return false
	}
	p.step(CheckPre, "The pre-promote command succeeds before any change: "+cmd, began, nil)
	return true
}

// kubeIDs names the objects.
func kubeIDs(objs []kube.Object) []kube.ID {
	out := make([]kube.ID, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.ID())
	}
	return out
}
