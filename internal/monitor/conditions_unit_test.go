package monitor

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// t0 is the fixed clock's start.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// sec is t0 plus n seconds.
func sec(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

func deploy(conds map[appsv1.DeploymentConditionType][2]string, current, updated, ready, available int32) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To[int32](2)},
		Status:     appsv1.DeploymentStatus{Replicas: current, UpdatedReplicas: updated, ReadyReplicas: ready, AvailableReplicas: available},
	}
	for _, typ := range []appsv1.DeploymentConditionType{appsv1.DeploymentAvailable, appsv1.DeploymentProgressing} {
		if c, ok := conds[typ]; ok {
			d.Status.Conditions = append(d.Status.Conditions, appsv1.DeploymentCondition{Type: typ, Status: corev1.ConditionStatus(c[0]), Reason: c[1]})
		}
	}
	return d
}

func pod(name string, ready bool, restarts int32, waiting string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name},
		Status: corev1.PodStatus{
			Phase:             corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "web", RestartCount: restarts}},
		},
	}
	if !ready {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady"}}
	} else {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	}
	if waiting != "" {
		p.Status.ContainerStatuses[0].State.Waiting = &corev1.ContainerStateWaiting{Reason: waiting}
	}
	if restarts > 0 {
		p.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}
	}
	return p
}

func node(ready corev1.ConditionStatus, diskPressure corev1.ConditionStatus) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n1"},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: ready, Reason: "KubeletNotReady"},
			{Type: corev1.NodeDiskPressure, Status: diskPressure},
		}},
	}
}

// TestWatcherIntervals feeds a rollout's events, one a second, to the
// handlers the informers call, and checks the intervals from change to
// change.
func TestWatcherIntervals(t *testing.T) {
	t.Parallel()
	step := 0
	rec := &Recorder{}
	w := &watcher{t: newTracker(rec, func() time.Time { return sec(step) }), namespace: "shop", ctx: t.Context(), restarts: map[string]map[string]int32{}}
	deployments, pods, nodes := w.objects(deploymentStates), w.pods(), w.objects(nodeStates)
	type A = map[appsv1.DeploymentConditionType][2]string
	steady := A{appsv1.DeploymentAvailable: {"True", "MinimumReplicasAvailable"}, appsv1.DeploymentProgressing: {"True", "NewReplicaSetAvailable"}}
	updating := A{appsv1.DeploymentAvailable: {"True", "MinimumReplicasAvailable"}, appsv1.DeploymentProgressing: {"True", "ReplicaSetUpdated"}}
	down := A{appsv1.DeploymentAvailable: {"False", "MinimumReplicasUnavailable"}, appsv1.DeploymentProgressing: {"True", "ReplicaSetUpdated"}}
	events := []func(){
		0: func() { deployments.OnAdd(deploy(steady, 2, 2, 2, 2), true) },
		1: func() { pods.OnAdd(pod("web-old", true, 3, ""), true) }, // restarts before the monitor: not counted
		2: func() { deployments.OnUpdate(nil, deploy(updating, 3, 1, 2, 2)) },
		3: func() { pods.OnAdd(pod("web-new", false, 0, "ContainerCreating"), false) },
		4: func() { pods.OnUpdate(nil, pod("web-new", true, 0, "")) },
		5: func() { deployments.OnUpdate(nil, deploy(down, 2, 1, 1, 1)) },
		6: func() { pods.OnUpdate(nil, pod("web-old", false, 4, "CrashLoopBackOff")) },
		7: func() { nodes.OnAdd(node(corev1.ConditionFalse, corev1.ConditionTrue), true) },
		8: func() { nodes.OnUpdate(nil, node(corev1.ConditionTrue, corev1.ConditionTrue)) },
		9: func() {
			pods.OnDelete(cache.DeletedFinalStateUnknown{Key: "shop/web-old", Obj: pod("web-old", false, 4, "CrashLoopBackOff")})
		},
		10: func() {
			deployments.OnUpdate(nil, deploy(updating, 2, 2, 2, 2)) // a new message alone starts nothing
			deployments.OnUpdate(nil, deploy(steady, 2, 2, 2, 2))
		},
	}
	for step = range events {
		events[step]()
	}
	w.t.closeAll(sec(12))
	pods.OnUpdate(nil, pod("web-new", false, 9, "")) // after the stop: ignored

	const dep = "ns/shop deployment/web"
	want := []Interval{
		{sec(0), sec(2), Info, SourceDeployment, dep + " condition/Progressing", "deployment/web Progressing=True: NewReplicaSetAvailable"},
		{sec(0), sec(2), Info, SourceReplicas, dep, "deployment/web replicas: 2 desired, 2 current, 2 updated, 2 ready, 2 available"},
		{sec(0), sec(5), Info, SourceDeployment, dep + " condition/Available", "deployment/web Available=True: MinimumReplicasAvailable"},
		{sec(2), sec(5), Info, SourceReplicas, dep, "deployment/web replicas: 2 desired, 3 current, 1 updated, 2 ready, 2 available"},
		{sec(2), sec(10), Info, SourceDeployment, dep + " condition/Progressing", "deployment/web Progressing=True: ReplicaSetUpdated"},
		{sec(3), sec(4), Info, SourceContainer, "ns/shop pod/web-new container/web", "pod/web-new container web waiting: ContainerCreating"},
		{sec(3), sec(4), Warning, SourcePodReady, "ns/shop pod/web-new", "pod/web-new not ready (phase Running): ContainersNotReady"},
		{sec(5), sec(10), Error, SourceDeployment, dep + " condition/Available", "deployment/web Available=False: MinimumReplicasUnavailable"},
		{sec(5), sec(10), Info, SourceReplicas, dep, "deployment/web replicas: 2 desired, 2 current, 1 updated, 1 ready, 1 available"},
		{sec(6), sec(6), Error, SourcePodRestart, "ns/shop pod/web-old container/web", "pod/web-old container web restarted (restart count 4): last exit code 1 (Error)"},
		{sec(6), sec(9), Warning, SourceContainer, "ns/shop pod/web-old container/web", "pod/web-old container web waiting: CrashLoopBackOff"},
		{sec(6), sec(9), Warning, SourcePodReady, "ns/shop pod/web-old", "pod/web-old not ready (phase Running): ContainersNotReady"},
		{sec(7), sec(8), Error, SourceNode, "node/n1 condition/Ready", "node/n1 Ready=False: KubeletNotReady"},
		{sec(7), sec(12), Warning, SourceNode, "node/n1 condition/DiskPressure", "node/n1 DiskPressure=True"},
		{sec(10), sec(12), Info, SourceDeployment, dep + " condition/Available", "deployment/web Available=True: MinimumReplicasAvailable"},
		{sec(10), sec(12), Info, SourceDeployment, dep + " condition/Progressing", "deployment/web Progressing=True: NewReplicaSetAvailable"},
		{sec(10), sec(12), Info, SourceReplicas, dep, "deployment/web replicas: 2 desired, 2 current, 2 updated, 2 ready, 2 available"},
	}
	if diff := cmp.Diff(want, rec.Intervals()); diff != "" {
		t.Errorf("intervals (-want +got):\n%s", diff)
	}
}
