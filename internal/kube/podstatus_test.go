package kube

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestPodProblem(t *testing.T) {
	t.Parallel()
	ready := corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue}
	tests := []struct {
		name string
		st   corev1.PodStatus
		want string
	}{
		{"ready", corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{ready}}, ""},
		{"succeeded", corev1.PodStatus{Phase: corev1.PodSucceeded}, ""},
		{"readiness probe", corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
			{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: "simulated readiness probe failure"}}},
			"Ready=False: simulated readiness probe failure"},
		{"generic kubelet message", corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: "containers with unready status: [web]"}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "web"}}},
			"Ready=False: containers with unready status: [web]: container web not ready"},
		{"crashloop", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "web", RestartCount: 4,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}}}}},
			"container web CrashLoopBackOff: back-off 40s restarting failed container (4 restarts)"},
		{"init image pull", corev1.PodStatus{Phase: corev1.PodPending, InitContainerStatuses: []corev1.ContainerStatus{{Name: "migrate",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}},
			"container migrate ImagePullBackOff"},
		{"terminated", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "web", RestartCount: 1,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}}}}},
			"container web terminated: OOMKilled (exit code 137) (1 restarts)"},
		{"unschedulable", corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available"}}},
			"PodScheduled=False: 0/1 nodes are available"},
		{"new", corev1.PodStatus{}, "Pending (no Ready condition yet)"},
	}
	for _, tt := range tests {
		p := &corev1.Pod{Status: tt.st}
		if got := PodProblem(p); got != tt.want {
			t.Errorf("%s: PodProblem = %q, want %q", tt.name, got, tt.want)
		}
	}
}
