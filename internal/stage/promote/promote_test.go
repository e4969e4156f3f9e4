package promote

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipgate/shipgate/internal/bluegreen"
	"github.com/shipgate/shipgate/internal/config"
	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/kube"
)

func TestDNSLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"octo-org/Shop_Web": "octo-org-shop-web", "--x--": "x", "": "",
		strings.Repeat("a", 50): strings.Repeat("a", 40), "Über": "ber",
	} {
		if got := dnsLabel(in); got != want {
			t.Errorf("dnsLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChooseTargetWithoutToRevision(t *testing.T) {
	t.Parallel()
	rev := func(n int, st history.State) history.Revision {
		return history.Revision{Number: n, State: st, Objects: []json.RawMessage{json.RawMessage(`{}`)}}
	}
	tests := []struct {
		name    string
		all     []history.Revision // newest first, as List returns them
		cur, to int
		wantErr string
	}{
		{"back from the live good revision to the one before", []history.Revision{rev(3, history.Good), rev(2, history.Good), rev(1, history.Good)}, 3, 2, ""},
		{"inside a window: back to the last good", []history.Revision{rev(4, history.Live), rev(3, history.Failed), rev(2, history.Good)}, 4, 2, ""},
		{"rolled-back revisions are skipped", []history.Revision{rev(3, history.Good), rev(2, history.RolledBack), rev(1, history.Good)}, 3, 1, ""},
		{"nothing good before", []history.Revision{rev(2, history.Good), rev(1, history.Failed)}, 0, 0, "no good revision before revision 2 to return to: the history has revisions 1 (failed), 2 (good)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cur, to, err := chooseTarget(t.Context(), nil, tc.all, 0)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || cur == nil || cur.Number != tc.cur || to.Number != tc.to {
				t.Errorf("chooseTarget = %v, %d, %v; want current %d, target %d", cur, to.Number, err, tc.cur, tc.to)
			}
		})
	}
}

func TestWorkloadsOf(t *testing.T) {
	t.Parallel()
	r := history.Revision{Names: map[string]string{
		digestKey: "abc", workloadPrefix + "Deployment/shop/web": "web-r3", workloadPrefix + "Deployment/shop/api": "api-r3",
	}}
	got := workloadsOf(r)
	if len(got) != 2 {
		t.Fatalf("workloadsOf = %v", got)
	}
	for _, id := range got {
		if id.Kind != "Deployment" || id.Group != "apps" || id.Namespace != "shop" || !strings.HasSuffix(id.Name, "-r3") {
			t.Errorf("workload %v", id)
		}
	}
}

func TestRestartCounter(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	pod := func(uid string, created time.Time, restarts int32) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: uid, UID: types.UID(uid), CreationTimestamp: metav1.NewTime(created)},
			Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{RestartCount: restarts}}}}
	}
	r := &restartCounter{seen: map[string]int32{}, since: start}
	steps := []struct {
		at   time.Duration
		pods []corev1.Pod
		want int
	}{
		{0, []corev1.Pod{pod("old", start.Add(-time.Hour), 4)}, 0},                                                      // restarts before the window do not count
		{time.Minute, []corev1.Pod{pod("old", start.Add(-time.Hour), 5)}, 1},                                            // one more
		{2 * time.Minute, []corev1.Pod{pod("old", start.Add(-time.Hour), 5), pod("new", start.Add(time.Minute), 2)}, 3}, // a pod made inside the window counts from zero
		{8 * time.Minute, []corev1.Pod{pod("old", start.Add(-time.Hour), 5), pod("new", start.Add(time.Minute), 2)}, 0}, // all older than 5m
	}
	for _, s := range steps {
		if got, _ := r.observe(s.pods, start.Add(s.at), 5*time.Minute); got != s.want {
			t.Errorf("at +%s: %d restarts within 5m, want %d", s.at, got, s.want)
		}
	}
}

func TestPreviewChecksAimAtPreviews(t *testing.T) {
	t.Parallel()
	plan := bluegreen.Plan{Services: []kube.Object{{Obj: serviceObj("web")}}}
	checks := config.Checks{
		Service:  []config.ServiceCheck{{Endpoint: config.Endpoint{Service: "web"}}, {Endpoint: config.Endpoint{Service: "other"}}},
		Business: config.Business{JSON: []config.HTTPCheck{{Endpoint: config.Endpoint{Service: "shop/web", Path: "/v"}}, {Endpoint: config.Endpoint{URL: "https://example.invalid/"}}}},
	}
	svc, biz := previewChecks(checks, plan)
	got := []string{svc[0].Service, svc[1].Service, biz.JSON[0].Service, biz.JSON[1].URL}
	want := []string{"web-preview", "other", "shop/web-preview", "https://example.invalid/"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("aimed endpoints (-want +got):\n%s", diff)
	}
	if svc[0].Name != "service/web/" && svc[0].Name != checks.Service[0].DisplayName() {
		t.Errorf("the check keeps its production name: %q", svc[0].Name)
	}
	if checks.Service[0].Service != "web" {
		t.Error("previewChecks changed the config")
	}
}

func serviceObj(name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Service")
	u.SetName(name)
	return u
}
