// Package bluegreen turns an app's manifests into one revision of a
// blue-green promotion and moves production traffic between revisions.
// A revision's Deployments run beside the live ones under their own names
// (web → web-r3) with their own copies of the ConfigMaps and Secrets they
// reference (so the live revision keeps its config), and a preview Service
// per production Service selects them. The switch changes every
// production Service's selector to the revision in one pass; objects that
// point at a workload (HorizontalPodAutoscalers, PodDisruptionBudgets)
// follow the live revision.
package bluegreen

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/shipgate/shipgate/internal/kube"
)

// Labels shipgate puts on what it runs.
const (
	// LabelRevision is on every pod template, workload and copy of a
	// revision; production Services select it.
	LabelRevision = "shipgate.io/revision"
	// LabelApp names the app on everything of a revision.
	LabelApp = "shipgate.io/app"
)

// PreviewSuffix ends a preview Service's name.
const PreviewSuffix = "-preview"

// Name is an object's name in revision rev: web → web-r3.
func Name(name string, rev int) string { return name + "-r" + strconv.Itoa(rev) }

// Plan is one revision of the app, ready to apply.
type Plan struct {
	App      string
	Revision int
	// Shared are the objects without a revision of their own
	// (ServiceAccounts, Ingresses, NetworkPolicies, …), applied in place.
	Shared []kube.Object
	// Copies are the revision's ConfigMaps and Secrets, renamed.
	Copies []kube.Object
	// Workloads are the revision's Deployments, renamed and labelled.
	Workloads []Workload
	// Previews select the revision, one per production Service.
	Previews []kube.Object
	// Services are the production Services; their selector is completed
	// with the live revision's label by Selecting.
	Services []kube.Object
	// Followers point at a workload by name or selector (HPA, PDB); they
	// are applied for the live revision by Following.
	Followers []kube.Object
}

// Workload is one Deployment of a revision.
type Workload struct {
	// Base is the Deployment as the manifests name it.
	Base kube.ID
	// Object is the revision's Deployment (Base's name with -r<N>).
	Object kube.Object
}

// Build makes revision rev of objs, whose namespaced objects without a
// namespace go to namespace. It checks what blue-green needs of the
// manifests: at least one Deployment, no other workload kinds, and
// Services whose selectors are set and select a Deployment's pods.
func Build(objs []kube.Object, app string, rev int, namespace string) (Plan, error) {
	p := Plan{App: app, Revision: rev}
	var errs []error
	renamed := map[kube.ID]string{} // ConfigMaps and Secrets referenced by a workload
	var deployments []kube.Object
	for _, o := range objs {
		o = withNamespace(o, namespace)
		switch id := o.ID(); {
		case id.Group == "apps" && id.Kind == "Deployment":
			deployments = append(deployments, o)
		case isOtherWorkload(id):
			errs = append(errs, fmt.Errorf("%s (%s): blue-green runs Deployments side by side; a %s cannot be duplicated safely — use promote.strategy rolling for this app", id, o.Source, id.Kind))
		}
	}
	if len(deployments) == 0 && len(errs) == 0 {
		return p, errors.New("the manifests have no Deployment: blue-green needs at least one workload to run beside the live revision (or use promote.strategy rolling)")
	}
	inManifests := map[kube.ID]bool{}
	for _, o := range objs {
		id := withNamespace(o, namespace).ID()
		if id.Group == "" && (id.Kind == "ConfigMap" || id.Kind == "Secret") {
			inManifests[kube.ID{Kind: id.Kind, Namespace: id.Namespace, Name: id.Name}] = true
		}
	}
	for _, d := range deployments {
		for _, ref := range configRefs(d.Obj) {
			key := kube.ID{Kind: ref.kind, Namespace: d.ID().Namespace, Name: ref.name}
			if inManifests[key] {
				renamed[key] = Name(ref.name, rev)
			}
		}
	}
	var podLabels []labels.Set
	for _, d := range deployments {
		w, err := p.workload(d, renamed)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Workloads = append(p.Workloads, w)
		tl, _, _ := unstructured.NestedStringMap(d.Obj.Object, "spec", "template", "metadata", "labels")
		podLabels = append(podLabels, labels.Set(tl))
	}
	for _, o := range objs {
		o = withNamespace(o, namespace)
		id := o.ID()
		switch {
		case id.Group == "apps" && id.Kind == "Deployment", isOtherWorkload(id):
		case id.Group == "" && (id.Kind == "ConfigMap" || id.Kind == "Secret") && renamed[kube.ID{Kind: id.Kind, Namespace: id.Namespace, Name: id.Name}] != "":
			c := clone(o)
			c.Obj.SetName(Name(id.Name, rev))
			p.label(c.Obj)
			p.Copies = append(p.Copies, c)
			p.Shared = append(p.Shared, o) // the original stays for the live revision
		case id.Group == "" && id.Kind == "Service":
			if err := p.service(o, podLabels); err != nil {
				errs = append(errs, err)
			}
		case id.Group == "autoscaling" && id.Kind == "HorizontalPodAutoscaler", id.Group == "policy" && id.Kind == "PodDisruptionBudget":
			p.Followers = append(p.Followers, o)
		default:
			p.Shared = append(p.Shared, o)
		}
	}
	if len(p.Services) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("the manifests have no Service: blue-green switches traffic by changing Service selectors; add the Service that production traffic enters through (or use promote.strategy rolling)"))
	}
	return p, errors.Join(errs...)
}

func isOtherWorkload(id kube.ID) bool {
	if id.Group == "apps" {
		return id.Kind == "StatefulSet" || id.Kind == "DaemonSet" || id.Kind == "ReplicaSet"
	}
	return id.Group == "" && (id.Kind == "Pod" || id.Kind == "ReplicationController")
}

// workload renames a Deployment into the revision and points it at the
// revision's config copies.
func (p *Plan) workload(d kube.Object, renamed map[kube.ID]string) (Workload, error) {
	id := d.ID()
	sel, found, err := unstructured.NestedStringMap(d.Obj.Object, "spec", "selector", "matchLabels")
	if err != nil || !found || len(sel) == 0 {
		return Workload{}, fmt.Errorf("%s (%s): spec.selector.matchLabels is empty; blue-green needs a label selector to tell revisions apart", id, d.Source)
	}
	c := clone(d)
	u := c.Obj
	u.SetName(Name(id.Name, p.Revision))
	p.label(u)
	rev := strconv.Itoa(p.Revision)
	sel[LabelRevision] = rev
	if err := unstructured.SetNestedStringMap(u.Object, sel, "spec", "selector", "matchLabels"); err != nil {
		return Workload{}, fmt.Errorf("%s: %w", id, err)
	}
	tl, _, _ := unstructured.NestedStringMap(u.Object, "spec", "template", "metadata", "labels")
	if tl == nil {
		tl = map[string]string{}
	}
	tl[LabelRevision], tl[LabelApp] = rev, p.App
	if err := unstructured.SetNestedStringMap(u.Object, tl, "spec", "template", "metadata", "labels"); err != nil {
		return Workload{}, fmt.Errorf("%s: %w", id, err)
	}
	if err := renameConfigRefs(u, id.Namespace, renamed); err != nil {
		return Workload{}, fmt.Errorf("%s: %w", id, err)
	}
	return Workload{Base: id, Object: c}, nil
}

// service checks a production Service and makes its preview.
func (p *Plan) service(o kube.Object, pods []labels.Set) error {
	id := o.ID()
	sel, _, _ := unstructured.NestedStringMap(o.Obj.Object, "spec", "selector")
	delete(sel, LabelRevision)
	if len(sel) == 0 {
		return fmt.Errorf("%s (%s): spec.selector is empty, so it selects no pods shipgate can switch; give it the labels of a Deployment's pods (e.g. app: web)", id, o.Source)
	}
	if !slices.ContainsFunc(pods, func(l labels.Set) bool { return labels.SelectorFromSet(sel).Matches(l) }) {
		return fmt.Errorf("%s (%s): selector %s matches the pods of no Deployment in the manifests; fix the selector or the pod template labels", id, o.Source, labels.Set(sel))
	}
	p.Services = append(p.Services, o)
	pv := clone(o)
	u := pv.Obj
	u.SetName(id.Name + PreviewSuffix)
	p.label(u)
	sel[LabelRevision] = strconv.Itoa(p.Revision)
	_ = unstructured.SetNestedStringMap(u.Object, sel, "spec", "selector")
	// A preview is reached inside the cluster only.
	_ = unstructured.SetNestedField(u.Object, "ClusterIP", "spec", "type")
	for _, f := range []string{"clusterIP", "clusterIPs", "externalIPs", "loadBalancerIP", "externalTrafficPolicy", "healthCheckNodePort", "loadBalancerSourceRanges", "loadBalancerClass", "allocateLoadBalancerNodePorts"} {
		unstructured.RemoveNestedField(u.Object, "spec", f)
	}
	if ports, ok, _ := unstructured.NestedSlice(u.Object, "spec", "ports"); ok {
		for _, port := range ports {
			if m, ok := port.(map[string]any); ok {
				delete(m, "nodePort")
			}
		}
		_ = unstructured.SetNestedSlice(u.Object, ports, "spec", "ports")
	}
	p.Previews = append(p.Previews, pv)
	return nil
}

// Selecting returns the production Services selecting revision rev.
func (p Plan) Selecting(rev int) []kube.Object {
	out := make([]kube.Object, 0, len(p.Services))
	for _, s := range p.Services {
		c := clone(s)
		sel, _, _ := unstructured.NestedStringMap(c.Obj.Object, "spec", "selector")
		sel[LabelRevision] = strconv.Itoa(rev)
		_ = unstructured.SetNestedStringMap(c.Obj.Object, sel, "spec", "selector")
		out = append(out, c)
	}
	return out
}

// SelectingEvery returns the production Services selecting the pods of
// every revision: the manifests' own selectors, without the revision
// label. Weights set by replica counts put two revisions behind them.
func (p Plan) SelectingEvery() []kube.Object {
	out := make([]kube.Object, 0, len(p.Services))
	for _, s := range p.Services {
		c := clone(s)
		sel, _, _ := unstructured.NestedStringMap(c.Obj.Object, "spec", "selector")
		delete(sel, LabelRevision)
		_ = unstructured.SetNestedStringMap(c.Obj.Object, sel, "spec", "selector")
		out = append(out, c)
	}
	return out
}

// Following returns the followers pointed at revision rev's workloads:
// an HPA's scaleTargetRef names the revision's Deployment, a PDB's
// selector gets the revision's label.
func (p Plan) Following(rev int) []kube.Object {
	out := make([]kube.Object, 0, len(p.Followers))
	for _, f := range p.Followers {
		c := clone(f)
		u := c.Obj
		switch u.GetKind() {
		case "HorizontalPodAutoscaler":
			if name, ok, _ := unstructured.NestedString(u.Object, "spec", "scaleTargetRef", "name"); ok {
				_ = unstructured.SetNestedField(u.Object, Name(name, rev), "spec", "scaleTargetRef", "name")
			}
		case "PodDisruptionBudget":
			if ml, ok, _ := unstructured.NestedStringMap(u.Object, "spec", "selector", "matchLabels"); ok {
				ml[LabelRevision] = strconv.Itoa(rev)
				_ = unstructured.SetNestedStringMap(u.Object, ml, "spec", "selector", "matchLabels")
			}
		}
		out = append(out, c)
	}
	return out
}

// Revisioned are the objects that belong to the revision alone, in apply
// order: config copies, then workloads, then previews.
func (p Plan) Revisioned() []kube.Object {
	var out []kube.Object
	out = append(out, p.Copies...)
	for _, w := range p.Workloads {
		out = append(out, w.Object)
	}
	return append(out, p.Previews...)
}

// WorkloadIDs are the IDs of the revision's Deployments.
func (p Plan) WorkloadIDs() []kube.ID {
	out := make([]kube.ID, 0, len(p.Workloads))
	for _, w := range p.Workloads {
		out = append(out, w.Object.ID())
	}
	return out
}

// Selector selects the revision's pods.
func (p Plan) Selector() string {
	return labels.Set{LabelApp: p.App, LabelRevision: strconv.Itoa(p.Revision)}.String()
}

func (p Plan) label(u *unstructured.Unstructured) {
	l := u.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l[LabelRevision], l[LabelApp] = strconv.Itoa(p.Revision), p.App
	u.SetLabels(l)
}

func clone(o kube.Object) kube.Object {
	c := o
	c.Obj = o.Obj.DeepCopy()
	return c
}

func withNamespace(o kube.Object, namespace string) kube.Object {
	if o.Obj.GetNamespace() != "" || isClusterScoped(o.ID()) {
		return o
	}
	c := clone(o)
	c.Obj.SetNamespace(namespace)
	return c
}

// isClusterScoped knows the cluster-scoped kinds an app's manifests carry.
func isClusterScoped(id kube.ID) bool {
	switch id.Kind {
	case "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass",
		"PriorityClass", "IngressClass", "PersistentVolume", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
		return true
	}
	return strings.HasSuffix(id.Kind, "ClusterRole")
}
