package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// testPods are a ready pod, a crash-looping one and one that restarted
// often before becoming ready, in namespace shop.
func testPods() []runtime.Object {
	pod := func(name string, st corev1.PodStatus) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": "web"}},
			Spec:       corev1.PodSpec{NodeName: "kwok-node-0", Containers: []corev1.Container{{Name: "web"}}},
			Status:     st,
		}
	}
	ready := []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	return []runtime.Object{
		pod("web-a", corev1.PodStatus{Phase: corev1.PodRunning, Conditions: ready,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Ready: true}}}),
		pod("web-b", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "web", RestartCount: 2,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 20s"}}}}}),
		pod("web-c", corev1.PodStatus{Phase: corev1.PodRunning, Conditions: ready,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Ready: true, RestartCount: 7}}}),
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: "shop"}},
	}
}

func TestBasic(t *testing.T) {
	t.Parallel()
	client := fake.NewClientset(testPods()...)
	h, err := Basic(t.Context(), client, "shop", "app=web", 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range h.Findings {
		got = append(got, f.Object+": "+f.Title)
	}
	want := []string{
		"Pod/shop/web-b: web-b: container web CrashLoopBackOff",
		"Pod/shop/web-c: web-c restarted 7 times",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// The fake clientset serves "fake logs" for every container.
	if msg := h.Findings[0].Message; !strings.Contains(msg, "back-off 20s (2 restarts)") || !strings.Contains(msg, "    fake logs") {
		t.Errorf("crash-loop message lacks the reason or the log:\n%s", msg)
	}
	wantEvidence := []string{
		"pod web-a on kwok-node-0: ready, 0 restarts",
		"pod web-b on kwok-node-0: not ready: container web CrashLoopBackOff: back-off 20s (2 restarts), 2 restarts",
		"pod web-c on kwok-node-0: ready, 7 restarts",
		"resource use: metrics are not available (the cluster does not serve metrics.k8s.io/v1beta1; install metrics-server to get them), so use is not compared with requests and limits",
	}
	if diff := cmp.Diff(wantEvidence, h.Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
}

func TestBasicNoPods(t *testing.T) {
	t.Parallel()
	h, err := Basic(t.Context(), fake.NewClientset(), "shop", "app=none", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Findings) != 1 || h.Findings[0].Title != "No pods" {
		t.Errorf("findings = %v, want one No pods", h.Findings)
	}
}

func TestDiagnose(t *testing.T) {
	t.Parallel()
	at := func(s int) metav1.Time { return metav1.NewTime(time.Date(2025, 1, 2, 3, 4, s, 0, time.UTC)) }
	objs := append(testPods(),
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e2", Namespace: "shop"}, Type: "Warning", Reason: "BackOff", Count: 3,
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-b"}, LastTimestamp: at(9), Message: "Back-off restarting failed container"},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: "shop"}, Type: "Normal", Reason: "Scheduled",
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-b"}, EventTime: metav1.NewMicroTime(at(1).Time), Message: "assigned"},
	)
	dir := t.TempDir()
	files, err := Diagnose(t.Context(), fake.NewClientset(objs...), "shop", dir)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"events.txt", "logs/web-b_web.log", "logs/web-b_web.previous.log", "pods.txt"}
	if diff := cmp.Diff(wantFiles, sortedCopy(files)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	events, _ := os.ReadFile(filepath.Join(dir, "events.txt"))
	wantEvents := "2025-01-02T03:04:01Z Normal  Scheduled            pod/web-b: assigned\n" +
		"2025-01-02T03:04:09Z Warning BackOff              pod/web-b (x3): Back-off restarting failed container\n"
	if diff := cmp.Diff(wantEvents, string(events)); diff != "" {
		t.Errorf("events.txt (-want +got):\n%s", diff)
	}
	pods, _ := os.ReadFile(filepath.Join(dir, "pods.txt"))
	for _, want := range []string{"2 of 4 pods in namespace shop are not ready.", "Pod shop/web-b", "restarts=2 state=Waiting(CrashLoopBackOff: back-off 20s)", "Warning BackOff: Back-off"} {
		if !strings.Contains(string(pods), want) {
			t.Errorf("pods.txt lacks %q:\n%s", want, pods)
		}
	}
}
