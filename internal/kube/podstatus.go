package kube

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// PodProblem says why a pod is not ready, in one line without the pod's
// name: a container waiting or terminated with a reason (CrashLoopBackOff,
// ImagePullBackOff, OOMKilled, ...), a pod that cannot be scheduled, or the
// Ready condition's message. It is empty for a ready or completed pod.
func PodProblem(p *corev1.Pod) string {
	if p.Status.Phase == corev1.PodSucceeded {
		return ""
	}
	for _, cs := range allStatuses(p) {
		if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing" {
			return joinNonEmpty(": ", fmt.Sprintf("container %s %s", cs.Name, w.Reason), w.Message) + restarts(cs)
		}
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			return fmt.Sprintf("container %s terminated: %s (exit code %d)", cs.Name, cmp.Or(t.Reason, "Error"), t.ExitCode) + restarts(cs)
		}
		if t := cs.LastTerminationState.Terminated; t != nil && t.Reason == "OOMKilled" && !cs.Ready {
			return fmt.Sprintf("container %s was OOMKilled", cs.Name) + restarts(cs)
		}
	}
	if p.Status.Phase == corev1.PodFailed {
		return joinNonEmpty(": ", "Failed", joinNonEmpty(": ", p.Status.Reason, p.Status.Message))
	}
	if c := podCondition(p, corev1.PodScheduled); c != nil && c.Status != corev1.ConditionTrue {
		return joinNonEmpty(": ", "PodScheduled=False", cmp.Or(c.Message, c.Reason))
	}
	if c := podCondition(p, corev1.PodReady); c != nil {
		if c.Status == corev1.ConditionTrue {
			return ""
		}
		msg := c.Message
		if msg == "" || strings.HasPrefix(msg, "containers with unready status") {
			// The kubelet's generic message: the containers say more.
			for _, cs := range p.Status.ContainerStatuses {
				if !cs.Ready {
					msg = joinNonEmpty(": ", msg, "container "+cs.Name+" not ready")
					break
				}
			}
		}
		return joinNonEmpty(": ", "Ready=False", cmp.Or(msg, c.Reason))
	}
	return fmt.Sprintf("%s (no Ready condition yet)", cmp.Or(string(p.Status.Phase), "Pending"))
}

// restarts renders a container's restart count for a problem line.
func restarts(cs corev1.ContainerStatus) string {
	if cs.RestartCount == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d restarts)", cs.RestartCount)
}

// allStatuses returns the init containers' statuses, then the containers'.
func allStatuses(p *corev1.Pod) []corev1.ContainerStatus {
	return append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...)
}

// podCondition returns a pod's condition of a type, or nil.
func podCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// firstProblem returns "pod NAME <problem>" for the first pod with a
// problem, newest first (a rollout's new pods say why it is stuck), or "".
func firstProblem(pods []*corev1.Pod) string {
	pods = slices.Clone(pods)
	slices.SortFunc(pods, func(a, b *corev1.Pod) int {
		return cmp.Or(b.CreationTimestamp.Compare(a.CreationTimestamp.Time), cmp.Compare(a.Name, b.Name))
	})
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		if prob := PodProblem(p); prob != "" {
			return "pod " + p.Name + " " + prob
		}
	}
	return ""
}
