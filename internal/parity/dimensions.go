package parity

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Annotation of the default StorageClass.
const defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"

// psaPrefix starts the Pod Security Admission labels of a namespace.
const psaPrefix = "pod-security.kubernetes.io/"

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

func (r *reader) crds(ctx context.Context) ([]Item, error) {
	list, err := r.dyn.Resource(crdResource).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list CustomResourceDefinitions: %w", err)
	}
	var items []Item
	for _, crd := range list.Items {
		scope, _, _ := unstructured.NestedString(crd.Object, "spec", "scope")
		vs, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		var served []string
		for _, v := range vs {
			m, _ := v.(map[string]any)
			if ok, _ := m["served"].(bool); ok {
				name, _ := m["name"].(string)
				served = append(served, name)
			}
		}
		items = append(items, Item{Key: crd.GetName(), Object: "CustomResourceDefinition/" + crd.GetName(),
			Value: fmt.Sprintf("%s, serves %s", scope, strings.Join(served, ", "))})
	}
	return items, nil
}

func (r *reader) webhooks(ctx context.Context) ([]Item, error) {
	api := r.cs.AdmissionregistrationV1()
	vs, err := api.ValidatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list ValidatingWebhookConfigurations: %w", err)
	}
	ms, err := api.MutatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list MutatingWebhookConfigurations: %w", err)
	}
	var items []Item
	for _, c := range vs.Items {
		for _, w := range c.Webhooks {
			items = append(items, Item{Key: "validating webhook " + w.Name, Object: "ValidatingWebhookConfiguration/" + c.Name,
				Value: webhookValue(w.FailurePolicy, w.Rules)})
		}
	}
	for _, c := range ms.Items {
		for _, w := range c.Webhooks {
			items = append(items, Item{Key: "mutating webhook " + w.Name, Object: "MutatingWebhookConfiguration/" + c.Name,
				Value: webhookValue(w.FailurePolicy, w.Rules)})
		}
	}
	return items, nil
}

// webhookValue renders what a webhook intercepts and what happens when it
// does not answer: "failurePolicy Fail for CREATE, UPDATE of apps/v1
// deployments".
func webhookValue(policy *admissionv1.FailurePolicyType, rules []admissionv1.RuleWithOperations) string {
	p := admissionv1.Fail // the API's default
	if policy != nil {
		p = *policy
	}
	var rs []string
	for _, rule := range rules {
		ops := make([]string, len(rule.Operations))
		for i, op := range rule.Operations {
			ops[i] = string(op)
		}
		var gvs []string
		for _, g := range rule.APIGroups {
			for _, v := range rule.APIVersions {
				gvs = append(gvs, strings.TrimPrefix(g+"/"+v, "/"))
			}
		}
		rs = append(rs, fmt.Sprintf("%s of %s %s", strings.Join(ops, ", "), strings.Join(gvs, ", "), strings.Join(rule.Resources, ", ")))
	}
	return fmt.Sprintf("failurePolicy %s for %s", p, strings.Join(rs, "; "))
}

func (r *reader) podSecurity(ctx context.Context, namespaces []Namespace) ([]Item, error) {
	var items []Item
	for _, ns := range namespaces {
		it := Item{Key: "namespace " + ns.As, Object: "Namespace/" + ns.Name}
		n, err := r.cs.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			it.Value = "does not exist"
		case err != nil:
			return nil, fmt.Errorf("get namespace %s: %w", ns.Name, err)
		default:
			var labels []string
			for _, k := range slices.Sorted(maps.Keys(n.Labels)) {
				if strings.HasPrefix(k, psaPrefix) {
					labels = append(labels, strings.TrimPrefix(k, psaPrefix)+"="+n.Labels[k])
				}
			}
			it.Value = "no Pod Security labels (privileged)"
			if len(labels) > 0 {
				it.Value = strings.Join(labels, ", ")
			}
		}
		items = append(items, it)
	}
	return items, nil
}

func (r *reader) quotas(ctx context.Context, namespaces []Namespace) ([]Item, error) {
	var items []Item
	for _, ns := range namespaces {
		qs, err := r.cs.CoreV1().ResourceQuotas(ns.Name).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list ResourceQuotas in %s: %w", ns.Name, err)
		}
		for _, q := range qs.Items {
			items = append(items, Item{Key: fmt.Sprintf("ResourceQuota %s/%s", ns.As, q.Name),
				Object: fmt.Sprintf("ResourceQuota/%s/%s", ns.Name, q.Name), Value: "hard " + resources(q.Spec.Hard)})
		}
		ls, err := r.cs.CoreV1().LimitRanges(ns.Name).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list LimitRanges in %s: %w", ns.Name, err)
		}
		for _, l := range ls.Items {
			var parts []string
			for _, it := range l.Spec.Limits {
				for _, f := range []struct {
					name string
					rl   corev1.ResourceList
				}{{"max", it.Max}, {"min", it.Min}, {"default", it.Default}, {"defaultRequest", it.DefaultRequest}} {
					if len(f.rl) > 0 {
						parts = append(parts, fmt.Sprintf("%s %s %s", it.Type, f.name, resources(f.rl)))
					}
				}
			}
			items = append(items, Item{Key: fmt.Sprintf("LimitRange %s/%s", ns.As, l.Name),
				Object: fmt.Sprintf("LimitRange/%s/%s", ns.Name, l.Name), Value: strings.Join(parts, "; ")})
		}
	}
	return items, nil
}

// resources renders a resource list sorted by name: cpu=2, pods=10.
func resources(rl corev1.ResourceList) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(rl)) {
		q := rl[k]
		parts = append(parts, string(k)+"="+q.String())
	}
	return strings.Join(parts, ", ")
}

func (r *reader) storage(ctx context.Context) ([]Item, error) {
	list, err := r.cs.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list StorageClasses: %w", err)
	}
	var items []Item
	for _, c := range list.Items {
		r.addClass("StorageClass", c.Name)
		v := "provisioner " + c.Provisioner
		if c.Annotations[defaultClassAnnotation] == "true" {
			v += ", the default"
			r.s.DefaultStorageClass = c.Name
		}
		if c.VolumeBindingMode != nil {
			v += ", binding " + string(*c.VolumeBindingMode)
		}
		items = append(items, Item{Key: "StorageClass " + c.Name, Object: "StorageClass/" + c.Name, Value: v})
	}
	// PersistentVolumeClaims without a class get the default one.
	items = append(items, Item{Key: "the default StorageClass", Value: or(r.s.DefaultStorageClass, "none")})
	return items, nil
}

func (r *reader) netClasses(ctx context.Context) ([]Item, error) {
	list, err := r.cs.NetworkingV1().IngressClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list IngressClasses: %w", err)
	}
	var items []Item
	for _, c := range list.Items {
		r.addClass("IngressClass", c.Name)
		v := "controller " + c.Spec.Controller
		if c.Annotations["ingressclass.kubernetes.io/is-default-class"] == "true" {
			v += ", the default"
		}
		items = append(items, Item{Key: "IngressClass " + c.Name, Object: "IngressClass/" + c.Name, Value: v})
	}
	version, ok := r.served("gateway.networking.k8s.io")
	if !ok {
		return items, nil
	}
	gcs, err := r.dyn.Resource(schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: version, Resource: "gatewayclasses"}).
		List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list GatewayClasses: %w", err)
	}
	for _, c := range gcs.Items {
		r.addClass("GatewayClass", c.GetName())
		ctrl, _, _ := unstructured.NestedString(c.Object, "spec", "controllerName")
		items = append(items, Item{Key: "GatewayClass " + c.GetName(), Object: "GatewayClass/" + c.GetName(), Value: "controller " + ctrl})
	}
	return items, nil
}

func (r *reader) priority(ctx context.Context) ([]Item, error) {
	list, err := r.cs.SchedulingV1().PriorityClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list PriorityClasses: %w", err)
	}
	var items []Item
	for _, c := range list.Items {
		r.addClass("PriorityClass", c.Name)
		v := "value " + strconv.Itoa(int(c.Value))
		if c.GlobalDefault {
			v += ", the global default"
		}
		if c.PreemptionPolicy != nil && *c.PreemptionPolicy != corev1.PreemptLowerPriority {
			v += ", preemption " + string(*c.PreemptionPolicy)
		}
		items = append(items, Item{Key: "PriorityClass " + c.Name, Object: "PriorityClass/" + c.Name, Value: v})
	}
	return items, nil
}

// nodes groups the nodes by OS, architecture, kernel and runtime; how
// many nodes each cluster has is not compared (a sandbox is smaller), only
// which kinds of node it has.
func (r *reader) nodes(ctx context.Context) ([]Item, error) {
	list, err := r.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list Nodes: %w", err)
	}
	seen := map[string]bool{}
	var items []Item
	for _, n := range list.Items {
		i := n.Status.NodeInfo
		key := fmt.Sprintf("%s/%s, kernel %s, runtime %s", or(i.OperatingSystem, "?"), or(i.Architecture, "?"),
			or(i.KernelVersion, "?"), or(i.ContainerRuntimeVersion, "?"))
		if !seen[key] {
			seen[key] = true
			items = append(items, Item{Key: key, Value: "present"})
		}
	}
	return items, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
