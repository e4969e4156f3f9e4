package monitor

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// conditionLevel is how bad a workload condition's status is: Available or
// Progressing False and ReplicaFailure True are errors.
func conditionLevel(condType string, status corev1.ConditionStatus) Level {
	switch {
	case condType == string(appsv1.DeploymentReplicaFailure) && status == corev1.ConditionTrue:
		return Error
	case condType == string(appsv1.DeploymentReplicaFailure):
		return Info
	case status == corev1.ConditionFalse:
		return Error
	case status == corev1.ConditionUnknown:
		return Warning
	}
	return Info
}

// conditionState is one workload condition as a lane, e.g. "deployment/web
// Progressing=True: ReplicaSetUpdated: ...". A new status or reason starts
// a new interval; a new message alone does not.
func conditionState(source, object, kind, name, condType string, status corev1.ConditionStatus, reason, message string) state {
	msg := fmt.Sprintf("%s/%s %s=%s", kind, name, condType, status)
	if reason != "" {
		msg += ": " + reason
	}
	if message != "" {
		msg += ": " + message
	}
	return state{
		lane:    lane{source: source, locator: object + " condition/" + condType},
		id:      string(status) + "/" + reason,
		level:   conditionLevel(condType, status),
		message: msg,
	}
}

// replicasState is a workload's replica counts as a lane; every change
// starts a new interval.
func replicasState(object, kind, name, summary string) state {
	msg := fmt.Sprintf("%s/%s replicas: %s", kind, name, summary)
	return state{lane: lane{source: SourceReplicas, locator: object}, id: msg, level: Info, message: msg}
}

// counts formats replica counts: desired, current, updated, ready,
// available.
func counts(desired, current, updated, ready, available int32) string {
	return fmt.Sprintf("%d desired, %d current, %d updated, %d ready, %d available", desired, current, updated, ready, available)
}

func deploymentStates(obj any) (string, []state) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return "", nil
	}
	object := "ns/" + d.Namespace + " deployment/" + d.Name
	var out []state
	for _, c := range d.Status.Conditions {
		out = append(out, conditionState(SourceDeployment, object, "deployment", d.Name, string(c.Type), c.Status, c.Reason, c.Message))
	}
	st := d.Status
	out = append(out, replicasState(object, "deployment", d.Name,
		counts(ptr.Deref(d.Spec.Replicas, 1), st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas)))
	return object, out
}

func statefulSetStates(obj any) (string, []state) {
	s, ok := obj.(*appsv1.StatefulSet)
	if !ok {
		return "", nil
	}
	object := "ns/" + s.Namespace + " statefulset/" + s.Name
	var out []state
	for _, c := range s.Status.Conditions {
		out = append(out, conditionState(SourceStatefulSet, object, "statefulset", s.Name, string(c.Type), c.Status, c.Reason, c.Message))
	}
	st := s.Status
	out = append(out, replicasState(object, "statefulset", s.Name,
		counts(ptr.Deref(s.Spec.Replicas, 1), st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas)))
	return object, out
}

func daemonSetStates(obj any) (string, []state) {
	d, ok := obj.(*appsv1.DaemonSet)
	if !ok {
		return "", nil
	}
	object := "ns/" + d.Namespace + " daemonset/" + d.Name
	var out []state
	for _, c := range d.Status.Conditions {
		out = append(out, conditionState(SourceDaemonSet, object, "daemonset", d.Name, string(c.Type), c.Status, c.Reason, c.Message))
	}
	st := d.Status
	out = append(out, replicasState(object, "daemonset", d.Name,
		counts(st.DesiredNumberScheduled, st.CurrentNumberScheduled, st.UpdatedNumberScheduled, st.NumberReady, st.NumberAvailable)))
	return object, out
}

// nodeStates records only what is wrong with a node: Ready not True
// (Error) and a pressure condition True (Warning).
func nodeStates(obj any) (string, []state) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return "", nil
	}
	object := "node/" + n.Name
	var out []state
	for _, c := range n.Status.Conditions {
		var level Level
		switch {
		case c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue:
			level = Error
		case c.Type != corev1.NodeReady && c.Status == corev1.ConditionTrue:
			level = Warning
		default:
			continue
		}
		msg := fmt.Sprintf("node/%s %s=%s", n.Name, c.Type, c.Status)
		if c.Reason != "" {
			msg += ": " + c.Reason
		}
		if c.Message != "" {
			msg += ": " + c.Message
		}
		out = append(out, state{lane: lane{source: SourceNode, locator: object + " condition/" + string(c.Type)},
			id: string(c.Status) + "/" + c.Reason, level: level, message: msg})
	}
	return object, out
}
