package kube

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
)

func TestUseAgainstLimits(t *testing.T) {
	t.Parallel()
	q := resource.MustParse
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1"}, Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "web", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: q("100m")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: q("500m"), corev1.ResourceMemory: q("100Mi")},
		}},
		{Name: "sidecar"},
	}}}
	tests := []struct {
		name         string
		cpu, mem     string
		wantFindings []string
		wantText     string
	}{
		{"well within", "100m", "30Mi", nil, "web cpu 100m (request 100m, limit 500m, 20%), memory 30Mi (limit 100Mi, 30%); sidecar cpu 1m, memory 1Mi"},
		{"CPU at its limit is throttled", "480m", "30Mi", []string{"Container web uses 96% of its cpu limit"}, "web cpu 480m (request 100m, limit 500m, 96%)"},
		{"memory near its limit", "100m", "95Mi", []string{"Container web uses 95% of its memory limit"}, "memory 95Mi (limit 100Mi, 95%)"},
		{"both", "500m", "100Mi", []string{"Container web uses 100% of its cpu limit", "Container web uses 100% of its memory limit"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := metricsv1beta1.PodMetrics{Containers: []metricsv1beta1.ContainerMetrics{
				{Name: "web", Usage: corev1.ResourceList{corev1.ResourceCPU: q(tc.cpu), corev1.ResourceMemory: q(tc.mem)}},
				{Name: "sidecar", Usage: corev1.ResourceList{corev1.ResourceCPU: q("1m"), corev1.ResourceMemory: q("1Mi")}},
			}}
			var got []string
			for _, f := range limitFindings(pod, m) {
				got = append(got, f.Title)
				if f.Object != "Pod/shop/web-1" || f.Level != "warning" {
					t.Errorf("finding %+v", f)
				}
			}
			if diff := cmp.Diff(tc.wantFindings, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if text := useText(pod, m, true); !strings.Contains(text, tc.wantText) {
				t.Errorf("use %q, want it to contain %q", text, tc.wantText)
			}
		})
	}
	if useText(pod, metricsv1beta1.PodMetrics{}, false) != "" {
		t.Error("a pod without metrics has use text")
	}
}
