package localcluster_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/shipgate/shipgate/internal/localcluster"
)

// steadyFor is how long a fault must hold once reached.
const steadyFor = 3 * time.Second

// TestFaults runs every fault on one cluster, which also takes its pod IPs
// from a PodCIDR of its own.
func TestFaults(t *testing.T) {
	t.Parallel()
	const podCIDR = "10.123.0.0/16"
	c := localcluster.StartT(t, func(o *localcluster.Options) {
		o.PodCIDR = podCIDR
		o.KwokStages = evictedStage
	})
	cs := clientset(t, c)
	pods := cs.CoreV1().RESTClient()

	t.Run("never-ready", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t, cs, "never-ready")
		createPod(t, cs, ns, testPod("p", map[string]string{localcluster.FaultLabel: localcluster.FaultNeverReady}))
		p := watchUntil(t, pods, "pods", ns, "p", "pod p Running with Ready=False", func(p *corev1.Pod) (bool, string) {
			ready, msg := podCondition(p, corev1.PodReady)
			return p.Status.Phase == corev1.PodRunning && ready == corev1.ConditionFalse && msg == localcluster.NeverReadyMessage, podState(p)
		})
		if ip, err := netip.ParseAddr(p.Status.PodIP); err != nil || !netip.MustParsePrefix(podCIDR).Contains(ip) {
			t.Errorf("pod IP %q not in Options.PodCIDR %s", p.Status.PodIP, podCIDR)
		}
		if st := p.Status.ContainerStatuses; len(st) != 1 || st[0].Ready || st[0].State.Running == nil {
			t.Errorf("container statuses %+v, want one running, not ready", st)
		}
		staysUnready(t, cs, ns, p)
		if e := waitEvent(t, cs, ns, "p", "Unhealthy"); e.Type != corev1.EventTypeWarning {
			t.Errorf("Unhealthy event is %s %q, want Warning", e.Type, e.Message)
		}
	})

	t.Run("crashloop", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t, cs, "crashloop")
		createPod(t, cs, ns, testPod("p", map[string]string{localcluster.FaultLabel: localcluster.FaultCrashLoop}))
		var counts []int32
		watchUntil(t, pods, "pods", ns, "p", "pod p to restart 3 times in CrashLoopBackOff", func(p *corev1.Pod) (bool, string) {
			if len(p.Status.ContainerStatuses) != 1 {
				return false, podState(p)
			}
			st := p.Status.ContainerStatuses[0]
			if n := st.RestartCount; len(counts) == 0 || counts[len(counts)-1] != n {
				counts = append(counts, n)
			}
			ready, _ := podCondition(p, corev1.PodReady)
			looping := st.State.Waiting != nil && st.State.Waiting.Reason == localcluster.CrashLoopReason &&
				st.LastTerminationState.Terminated != nil && st.LastTerminationState.Terminated.ExitCode == 1
			return looping && ready == corev1.ConditionFalse && p.Status.Phase == corev1.PodRunning && st.RestartCount >= 3, podState(p)
		})
		for i := 1; i < len(counts); i++ {
			if counts[i] != counts[i-1]+1 {
				t.Errorf("restartCount went %v; want +1 each step", counts)
			}
		}
	})

	t.Run("fail", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t, cs, "fail")
		createPod(t, cs, ns, testPod("p", map[string]string{localcluster.FaultLabel: localcluster.FaultFail}))
		watchUntil(t, pods, "pods", ns, "p", "pod p Failed with exit code 1", func(p *corev1.Pod) (bool, string) {
			cs := p.Status.ContainerStatuses
			return p.Status.Phase == corev1.PodFailed && len(cs) == 1 && cs[0].State.Terminated != nil &&
				cs[0].State.Terminated.ExitCode == 1, podState(p)
		})
	})

	t.Run("never-ready later", func(t *testing.T) {
		t.Parallel()
		// A Ready pod that gets the label goes unready, as when a probe
		// starts failing mid-rollout.
		ns := namespace(t, cs, "never-ready-later")
		createPod(t, cs, ns, testPod("p", nil))
		watchUntil(t, pods, "pods", ns, "p", "pod p Ready", func(p *corev1.Pod) (bool, string) {
			ready, _ := podCondition(p, corev1.PodReady)
			return ready == corev1.ConditionTrue, podState(p)
		})
		patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, localcluster.FaultLabel, localcluster.FaultNeverReady)
		if _, err := cs.CoreV1().Pods(ns).Patch(t.Context(), "p", "application/merge-patch+json", []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		watchUntil(t, pods, "pods", ns, "p", "pod p Ready=False after the label", func(p *corev1.Pod) (bool, string) {
			ready, msg := podCondition(p, corev1.PodReady)
			return p.Status.Phase == corev1.PodRunning && ready == corev1.ConditionFalse && msg == localcluster.NeverReadyMessage, podState(p)
		})
	})

	t.Run("extra stage", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t, cs, "extra-stage")
		createPod(t, cs, ns, testPod("p", map[string]string{"example.test/fault": "evicted"}))
		watchUntil(t, pods, "pods", ns, "p", "pod p Failed with reason Evicted (Options.KwokStages)", func(p *corev1.Pod) (bool, string) {
			return p.Status.Phase == corev1.PodFailed && p.Status.Reason == "Evicted", podState(p) + " reason=" + p.Status.Reason
		})
	})

	t.Run("node not ready", func(t *testing.T) {
		t.Parallel()
		const node = "kwok-node-down"
		if err := c.AddNode(t.Context(), node); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		if err := c.SetNodeReady(t.Context(), node, false); err != nil {
			t.Fatal(err)
		}
		t.Logf("node NotReady %s after SetNodeReady(false)", time.Since(began).Round(time.Millisecond))
		n, err := cs.CoreV1().Nodes().Get(t.Context(), node, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && (cond.Status != corev1.ConditionFalse || cond.Reason != localcluster.NodeNotReadyReason) {
				t.Errorf("Ready condition %+v, want False with reason %s", cond, localcluster.NodeNotReadyReason)
			}
		}
		// The node lifecycle controller sees the condition and taints the node.
		watchUntil(t, pods, "nodes", "", node, "the not-ready NoSchedule taint", func(n *corev1.Node) (bool, string) {
			for _, taint := range n.Spec.Taints {
				if taint.Key == corev1.TaintNodeNotReady && taint.Effect == corev1.TaintEffectNoSchedule {
					return true, taint.ToString()
				}
			}
			return false, fmt.Sprintf("taints %v", n.Spec.Taints)
		})
		staysNotReady(t, cs, n)

		began = time.Now()
		if err := c.SetNodeReady(t.Context(), node, true); err != nil {
			t.Fatal(err)
		}
		t.Logf("node Ready and untainted %s after SetNodeReady(true)", time.Since(began).Round(time.Millisecond))
	})
}

// evictedStage is a Stage a caller adds through Options.KwokStages.
var evictedStage = []byte(`
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: example-pod-evicted
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.labels["example.test/fault"]'
      operator: 'In'
      values: ['evicted']
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values: ['Pending']
  weight: 1
  next:
    statusTemplate: |
      phase: Failed
      reason: Evicted
      message: "The node was low on resource: memory."
`)

// staysUnready fails if pod p's Ready condition turns True within steadyFor.
func staysUnready(t *testing.T, cs kubernetes.Interface, ns string, p *corev1.Pod) {
	t.Helper()
	expectNoEvent(t, func(ctx context.Context) (watch.Interface, error) {
		return cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("metadata.name", p.Name).String(), ResourceVersion: p.ResourceVersion,
		})
	}, func(ev watch.Event) string {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			return fmt.Sprintf("unexpected event %s %T", ev.Type, ev.Object)
		}
		if ready, _ := podCondition(p, corev1.PodReady); ready != corev1.ConditionFalse {
			return "pod became " + podState(p)
		}
		return ""
	})
}

// staysNotReady fails if node n's Ready condition leaves False within
// steadyFor (kwok's node-initialize Stage would flip it back if the fault
// Stage did not keep winning).
func staysNotReady(t *testing.T, cs kubernetes.Interface, n *corev1.Node) {
	t.Helper()
	expectNoEvent(t, func(ctx context.Context) (watch.Interface, error) {
		return cs.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("metadata.name", n.Name).String(), ResourceVersion: n.ResourceVersion,
		})
	}, func(ev watch.Event) string {
		n, ok := ev.Object.(*corev1.Node)
		if !ok {
			return fmt.Sprintf("unexpected event %s %T", ev.Type, ev.Object)
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status != corev1.ConditionFalse {
				return fmt.Sprintf("node Ready became %s (%s)", cond.Status, cond.Reason)
			}
		}
		return ""
	})
}

// expectNoEvent watches for steadyFor and fails on the first event that bad
// describes as a problem.
func expectNoEvent(t *testing.T, start func(context.Context) (watch.Interface, error), bad func(watch.Event) string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), steadyFor)
	defer cancel()
	w, err := start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				if ctx.Err() == nil {
					t.Fatalf("watch closed before %s had passed", steadyFor)
				}
				return
			}
			if msg := bad(ev); msg != "" {
				t.Fatalf("within %s: %s", steadyFor, msg)
			}
		case <-ctx.Done():
			return
		}
	}
}

// waitEvent returns the event with reason about object name, watching until
// it is recorded.
func waitEvent(t *testing.T, cs kubernetes.Interface, ns, name, reason string) *corev1.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	sel := fields.AndSelectors(fields.OneTermEqualSelector("involvedObject.name", name), fields.OneTermEqualSelector("reason", reason)).String()
	list, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) > 0 {
		return &list.Items[0]
	}
	w, err := cs.CoreV1().Events(ns).Watch(ctx, metav1.ListOptions{FieldSelector: sel, ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if e, ok := ev.Object.(*corev1.Event); ok {
			return e
		}
	}
	t.Fatalf("waited %s for a %s event about %s/%s", waitTimeout, reason, ns, name)
	return nil
}
