package localcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// nodeTimeout bounds AddNode's and SetNodeReady's waits. kwok reacts within
// a second; the node lifecycle controller lifts NoExecute taints on its
// 5-second monitor period.
const nodeTimeout = 60 * time.Second

// AddNode creates a node that kwok manages (annotation
// kwok.x-k8s.io/node=fake) and waits until it is Ready and free of the
// not-ready taints, so pods schedule onto it at once. Its pods get IPs from
// Options.PodCIDR.
func (c *Cluster) AddNode(ctx context.Context, name string) error {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name:        name,
		Annotations: map[string]string{KwokNodeAnnotation: KwokNodeAnnotationValue},
		Labels: map[string]string{
			"kubernetes.io/hostname": name,
			"kubernetes.io/os":       "linux",
			"kubernetes.io/arch":     "amd64",
			"type":                   "kwok",
		},
	}}
	if _, err := c.cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("add node %s: %w", name, err)
	}
	if err := c.waitNode(ctx, name, true); err != nil {
		return fmt.Errorf("add node %s: %w", name, err)
	}
	c.s.Logf("localcluster: node %s Ready", name)
	return nil
}

// SetNodeReady takes a kwok node down (ready false: its Ready condition
// becomes False with NodeNotReadyReason, as when a kubelet stops posting
// ready status; the node lifecycle controller then taints it) or brings it
// back (ready true: Ready again and the not-ready taints lifted). It waits
// for the condition (and, for ready, the taints) before returning.
func (c *Cluster) SetNodeReady(ctx context.Context, name string, ready bool) error {
	var value any // JSON null removes the label
	if !ready {
		value = FaultNodeNotReady
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{FaultLabel: value}}})
	if err != nil {
		return err
	}
	if _, err := c.cs.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("set node %s ready=%t: %w", name, ready, err)
	}
	if err := c.waitNode(ctx, name, ready); err != nil {
		return fmt.Errorf("set node %s ready=%t: %w", name, ready, err)
	}
	return nil
}

// waitNode watches node name until its Ready condition is ready and, when
// ready, no not-ready or unreachable taint is left.
func (c *Cluster) waitNode(ctx context.Context, name string, ready bool) error {
	want := corev1.ConditionFalse
	what := fmt.Sprintf("node %s to report Ready=False (kwok's %s stage)", name, FaultNodeNotReady)
	if ready {
		want = corev1.ConditionTrue
		what = fmt.Sprintf("node %s to be Ready (kwok) without not-ready taints (node lifecycle controller)", name)
	}
	lw := cache.NewListWatchFromClient(c.cs.CoreV1().RESTClient(), "nodes", metav1.NamespaceAll,
		fields.OneTermEqualSelector("metadata.name", name))
	return waitObject(ctx, what, nodeTimeout, lw, &corev1.Node{}, func(obj runtime.Object) (bool, string) {
		node := obj.(*corev1.Node)
		status := corev1.ConditionUnknown
		for _, cond := range node.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				status = cond.Status
			}
		}
		var taints []string
		for _, t := range node.Spec.Taints {
			if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
				taints = append(taints, t.ToString())
			}
		}
		state := fmt.Sprintf("Ready=%s, taints [%s]", status, strings.Join(taints, ", "))
		return status == want && (!ready || len(taints) == 0), state
	}, c.proc(Kwok), c.proc(KubeAPIServer))
}
