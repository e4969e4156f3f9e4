package kube_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/localcluster"
)

// BenchmarkWaitVsKubectl measures how long Wait and `kubectl rollout
// status` take to see the same rollout finish: each iteration changes the
// pod template of a 3-replica Deployment, then starts both at once. It
// reports each one's time from the change and their ratio (Wait over
// kubectl; below 1 means Wait saw readiness sooner). kubectl's time
// includes starting its process, as it does in a workflow step.
func BenchmarkWaitVsKubectl(b *testing.B) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		b.Skip("no kubectl on PATH")
	}
	ver, _ := exec.Command(kubectl, "version", "--client").CombinedOutput()
	b.Logf("%s: %s", kubectl, strings.ReplaceAll(strings.TrimSpace(string(ver)), "\n", "; "))

	c := localcluster.StartT(b)
	kc, err := kube.NewClient(c.Config)
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	objs := load(b, map[string]string{"app.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n---\n" + deployment("web", 3, "example.com/web:1", "")})
	applied, err := kc.Apply(ctx, objs, kube.ApplyOptions{Namespace: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	ids := kube.ReadyIDs(applied)
	web := ids[len(ids)-1:] // the Deployment; the Namespace sorts first
	if err := kc.Wait(ctx, ids, kube.WaitOptions{Timeout: 2 * time.Minute}); err != nil {
		b.Fatal(err)
	}

	var waitTotal, kubectlTotal time.Duration
	b.ResetTimer()
	for i := range b.N {
		patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"bench/iteration":"%d-%d"}}}}}`, i, time.Now().UnixNano())
		if _, err := kc.Typed.AppsV1().Deployments("bench").Patch(ctx, "web", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var wg sync.WaitGroup
		var waitErr, kubectlErr error
		var waitTook, kubectlTook time.Duration
		var out []byte
		wg.Add(2)
		go func() {
			defer wg.Done()
			waitErr = kc.Wait(ctx, web, kube.WaitOptions{Timeout: 2 * time.Minute})
			waitTook = time.Since(start)
		}()
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			out, kubectlErr = exec.CommandContext(cctx, kubectl, "--kubeconfig", c.Kubeconfig, "-n", "bench",
				"rollout", "status", "deployment/web", "--timeout=2m").CombinedOutput()
			kubectlTook = time.Since(start)
		}()
		wg.Wait()
		if waitErr != nil {
			b.Fatal(waitErr)
		}
		if kubectlErr != nil {
			b.Fatalf("kubectl rollout status: %v\n%s", kubectlErr, out)
		}
		waitTotal += waitTook
		kubectlTotal += kubectlTook
	}
	b.StopTimer()
	b.ReportMetric(float64(waitTotal.Milliseconds())/float64(b.N), "wait-ms/op")
	b.ReportMetric(float64(kubectlTotal.Milliseconds())/float64(b.N), "kubectl-ms/op")
	b.ReportMetric(float64(waitTotal)/float64(kubectlTotal), "wait/kubectl")
}
