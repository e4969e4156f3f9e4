package parity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Namespace is a target namespace: its name in the cluster read, and the
// name it is compared under (production's name for the sandbox's run
// namespace, which holds what production keeps in another).
type Namespace struct {
	Name string
	As   string
}

// Snapshot is what Read saw of one cluster.
type Snapshot struct {
	// ServerVersion is the API server's gitVersion, e.g. v1.33.13.
	ServerVersion string
	// Items are each dimension's items, sorted by key.
	Items map[string][]Item
	// Unreadable says, per dimension, why it could not be read (forbidden,
	// an API that did not answer); such a dimension scores 0.
	Unreadable map[string]string
	// Kinds are the kinds served, as "apiVersion Kind" (apps/v1
	// Deployment); nil when discovery failed.
	Kinds map[string]bool
	// Classes are the names of the StorageClasses, IngressClasses,
	// GatewayClasses and PriorityClasses, by kind.
	Classes map[string]map[string]bool
	// DefaultStorageClass is the default StorageClass's name, or "".
	DefaultStorageClass string
}

// Read reads a cluster's side of every dimension with get and list only.
// namespaces are the target namespaces whose labels, quotas and limit
// ranges are compared. An error means the cluster did not answer at all;
// a dimension that cannot be read (a list that is forbidden) is recorded
// in Unreadable instead.
func Read(ctx context.Context, cfg *rest.Config, namespaces []Namespace) (Snapshot, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.UserAgent == "" {
		cfg.UserAgent = "shipgate-parity"
	}
	// Discovery takes no context: a server that does not answer must not
	// hold the run beyond this.
	if cfg.Timeout == 0 {
		cfg.Timeout = requestTimeout
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read cluster: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read cluster: %w", err)
	}
	r := &reader{cs: cs, dyn: dyn, s: Snapshot{
		Items: map[string][]Item{}, Unreadable: map[string]string{},
		Classes: map[string]map[string]bool{},
	}}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		return Snapshot{}, fmt.Errorf("read cluster: server version: %w", err)
	}
	r.s.ServerVersion = v.GitVersion
	r.s.Items[Version] = []Item{{Key: "server version", Value: v.GitVersion}}
	r.discover()
	for _, step := range []struct {
		dim  string
		read func(context.Context) ([]Item, error)
	}{
		{CRDs, r.crds},
		{Webhooks, r.webhooks},
		{PodSec, func(ctx context.Context) ([]Item, error) { return r.podSecurity(ctx, namespaces) }},
		{Quotas, func(ctx context.Context) ([]Item, error) { return r.quotas(ctx, namespaces) }},
		{Storage, r.storage},
		{NetClasses, r.netClasses},
		{Priority, r.priority},
		{Nodes, r.nodes},
	} {
		items, err := step.read(ctx)
		if err := ctx.Err(); err != nil {
			return Snapshot{}, fmt.Errorf("read cluster: %w", err)
		}
		if err != nil {
			r.s.Unreadable[step.dim] = unreadable(err)
			continue
		}
		slices.SortFunc(items, func(a, b Item) int { return strings.Compare(a.Key, b.Key) })
		r.s.Items[step.dim] = items
	}
	return r.s, nil
}

// unreadable says why a dimension could not be read, and what to grant
// when it was forbidden.
func unreadable(err error) string {
	if apierrors.IsForbidden(err) {
		return err.Error() + "; grant get and list on it (see the README's read-only ClusterRole)"
	}
	return err.Error()
}

// requestTimeout bounds each request Read makes.
const requestTimeout = 30 * time.Second

type reader struct {
	cs  kubernetes.Interface
	dyn dynamic.Interface
	s   Snapshot
	// groups are the served versions per API group, from discovery.
	groups map[string][]string
}

// discover reads the API groups, their versions and their kinds. A
// partial answer (an aggregated API down) keeps what did answer.
func (r *reader) discover() {
	groups, lists, err := r.cs.Discovery().ServerGroupsAndResources()
	var partial *discovery.ErrGroupDiscoveryFailed
	if err != nil && !errors.As(err, &partial) {
		r.s.Unreadable[APIs] = unreadable(err)
		return
	}
	r.groups = map[string][]string{}
	var items []Item
	for _, g := range groups {
		for _, v := range g.Versions {
			r.groups[g.Name] = append(r.groups[g.Name], v.Version)
			items = append(items, Item{Key: v.GroupVersion})
		}
	}
	slices.SortFunc(items, func(a, b Item) int { return strings.Compare(a.Key, b.Key) })
	r.s.Items[APIs] = items
	r.s.Kinds = map[string]bool{}
	for _, l := range lists {
		for _, res := range l.APIResources {
			if !strings.Contains(res.Name, "/") {
				r.s.Kinds[l.GroupVersion+" "+res.Kind] = true
			}
		}
	}
	if partial != nil {
		var failed []string
		for gv := range partial.Groups {
			failed = append(failed, gv.String())
		}
		slices.Sort(failed)
		r.s.Unreadable[APIs] = "discovery of " + strings.Join(failed, ", ") + " failed: " + err.Error()
	}
}

// served reports whether group is served, and its preferred version:
// the first discovery lists.
func (r *reader) served(group string) (string, bool) {
	vs := r.groups[group]
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// addClass records a class name of kind for the manifests' check.
func (r *reader) addClass(kind, name string) {
	if r.s.Classes[kind] == nil {
		r.s.Classes[kind] = map[string]bool{}
	}
	r.s.Classes[kind][name] = true
}
