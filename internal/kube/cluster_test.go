package kube_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/localcluster"
)

// deployment is a Deployment of name with replicas pods whose container
// "web" runs image; extra is added to the pod template's labels.
func deployment(name string, replicas int, image string, extra string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: %[2]d
  progressDeadlineSeconds: 10
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s%[4]s}
    spec:
      containers:
        - name: web
          image: %[3]s
`, name, replicas, image, extra)
}

// load writes files into a new repository and loads it.
func load(t testing.TB, files map[string]string) []kube.Object {
	t.Helper()
	root := t.TempDir()
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	objs, findings, err := kube.Load(t.Context(), root, []string{"."})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) > 0 {
		t.Fatalf("findings: %v", findings)
	}
	return objs
}

// newClient returns a client of the local cluster.
func newClient(t testing.TB, c *localcluster.Cluster) *kube.Client {
	t.Helper()
	kc, err := kube.NewClient(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// apply applies objs into namespace and fails the test on any error.
func apply(t *testing.T, kc *kube.Client, objs []kube.Object, opts kube.ApplyOptions) []kube.Applied {
	t.Helper()
	applied, err := kc.Apply(t.Context(), objs, opts)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return applied
}

// progressLog collects progress lines and logs them.
type progressLog struct {
	t     *testing.T
	mu    sync.Mutex
	lines []string
}

func (p *progressLog) add(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t.Log(line)
	p.lines = append(p.lines, line)
}

func (p *progressLog) has(s string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func outcomes(applied []kube.Applied) []string {
	var out []string
	for _, a := range applied {
		out = append(out, a.ID.String()+" "+string(a.Outcome))
	}
	return out
}

// TestCluster applies, waits for and checks workloads on one local
// cluster, each subtest in its own namespace.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := localcluster.StartT(t)
	kc := newClient(t, c)

	t.Run("apply then ready, again unchanged", func(t *testing.T) {
		t.Parallel()
		objs := load(t, map[string]string{
			"ns.yaml":  "apiVersion: v1\nkind: Namespace\nmetadata: {name: ready}\n",
			"app.yaml": deployment("web", 3, "example.com/web:1", "") + "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n",
		})
		applied := apply(t, kc, objs, kube.ApplyOptions{Namespace: "ready"})
		want := "Namespace/ready created, Deployment/ready/web created, Service/ready/web created"
		if got := strings.Join(outcomes(applied), ", "); got != want {
			t.Errorf("outcomes: %s, want %s", got, want)
		}
		p := &progressLog{t: t}
		if err := kc.Wait(t.Context(), kube.ReadyIDs(applied), kube.WaitOptions{Timeout: 2 * time.Minute, Progress: p.add}); err != nil {
			t.Fatal(err)
		}
		if !p.has("deployment/web ready") {
			t.Error("no progress line says deployment/web ready")
		}
		again := apply(t, kc, objs, kube.ApplyOptions{Namespace: "ready"})
		if got, want := kube.Summary(again), "3 unchanged"; got != want {
			t.Errorf("second apply: %s, want %s", got, want)
		}
	})

	t.Run("image change rolls out a second revision", func(t *testing.T) {
		t.Parallel()
		createNamespace(t, kc, "image")
		objs := load(t, map[string]string{"app.yaml": deployment("web", 2, "example.com/web:1", "")})
		opts := kube.ApplyOptions{Namespace: "image"}
		waitOpts := kube.WaitOptions{Timeout: 2 * time.Minute, Progress: (&progressLog{t: t}).add}
		if err := kc.Wait(t.Context(), kube.ReadyIDs(apply(t, kc, objs, opts)), waitOpts); err != nil {
			t.Fatal(err)
		}
		opts.Images = map[string]string{"web": "ghcr.io/shipgate/web:pr-7"}
		applied := apply(t, kc, objs, opts)
		if got, want := fmt.Sprintf("%s %v", applied[0].Outcome, applied[0].Images), "configured [web: example.com/web:1 → ghcr.io/shipgate/web:pr-7]"; got != want {
			t.Errorf("second apply: %s, want %s", got, want)
		}
		if err := kc.Wait(t.Context(), kube.ReadyIDs(applied), waitOpts); err != nil {
			t.Fatal(err)
		}
		rss, err := kc.Typed.AppsV1().ReplicaSets("image").List(t.Context(), metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			t.Fatal(err)
		}
		revisions := map[string]string{}
		for _, rs := range rss.Items {
			revisions[rs.Annotations["deployment.kubernetes.io/revision"]] = rs.Spec.Template.Spec.Containers[0].Image
		}
		if len(revisions) != 2 || revisions["2"] != "ghcr.io/shipgate/web:pr-7" {
			t.Errorf("ReplicaSets by revision: %v, want revision 2 with the new image", revisions)
		}
		d, err := kc.Typed.AppsV1().Deployments("image").Get(t.Context(), "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status.UpdatedReplicas != 2 || d.Status.ReadyReplicas != 2 {
			t.Errorf("status after the rollout: %+v", d.Status)
		}
	})

	t.Run("never ready fails at the progress deadline", func(t *testing.T) {
		t.Parallel()
		createNamespace(t, kc, "stuck")
		objs := load(t, map[string]string{"app.yaml": deployment("web", 2, "example.com/web:1", ", "+localcluster.FaultLabel+": "+localcluster.FaultNeverReady)})
		applied := apply(t, kc, objs, kube.ApplyOptions{Namespace: "stuck"})
		p := &progressLog{t: t}
		start := time.Now()
		timeout := 3 * time.Minute
		err := kc.Wait(t.Context(), kube.ReadyIDs(applied), kube.WaitOptions{Timeout: timeout, Progress: p.add, ProgressEvery: 5 * time.Second})
		elapsed := time.Since(start)
		var we *kube.WaitError
		if !errors.As(err, &we) || len(we.Failed) != 1 {
			t.Fatalf("Wait = %v, want a WaitError with one failed object", err)
		}
		if elapsed > timeout/2 {
			t.Errorf("failure detected after %s; the progress deadline is 10s", elapsed)
		}
		msg := err.Error()
		for _, want := range []string{"deployment/web failed", "ProgressDeadlineExceeded", "Ready=False: " + localcluster.NeverReadyMessage} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
		if !p.has("deployment/web 0/2 ready: pod web-") || !p.has(localcluster.NeverReadyMessage) {
			t.Error("no progress line names the pod and why it is not ready")
		}
		t.Logf("failed after %s: %v", elapsed.Round(time.Millisecond), err)

		// The first health tier names the pods and why, and Diagnose
		// writes the events and pod summaries.
		h, err := kube.Basic(t.Context(), kc.Typed, "stuck", "app=web", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Findings) != 2 || !strings.Contains(h.Findings[0].Message, localcluster.NeverReadyMessage) {
			t.Errorf("health findings: %v", h.Findings)
		}
		if last := h.Evidence[len(h.Evidence)-1]; !strings.Contains(last, "metrics are not available") {
			t.Errorf("last evidence line %q, want that metrics are not available", last)
		}
		dir := t.TempDir()
		files, err := kube.Diagnose(t.Context(), kc.Typed, "stuck", dir)
		if err != nil {
			t.Fatal(err)
		}
		events, _ := os.ReadFile(filepath.Join(dir, "events.txt"))
		pods, _ := os.ReadFile(filepath.Join(dir, "pods.txt"))
		if !strings.Contains(string(events), "ScalingReplicaSet") || !strings.Contains(string(pods), "2 of 2 pods in namespace stuck are not ready") {
			t.Errorf("diagnostics %v:\nevents:\n%s\npods:\n%s", files, events, pods)
		}
	})

	t.Run("crash loop is named with the log note", func(t *testing.T) {
		t.Parallel()
		createNamespace(t, kc, "crash")
		objs := load(t, map[string]string{"app.yaml": deployment("web", 1, "example.com/web:1", ", "+localcluster.FaultLabel+": "+localcluster.FaultCrashLoop)})
		applied := apply(t, kc, objs, kube.ApplyOptions{Namespace: "crash"})
		err := kc.Wait(t.Context(), kube.ReadyIDs(applied), kube.WaitOptions{Timeout: 3 * time.Minute, Progress: (&progressLog{t: t}).add})
		if err == nil || !strings.Contains(err.Error(), "CrashLoopBackOff") {
			t.Fatalf("Wait = %v, want a failure naming CrashLoopBackOff", err)
		}
		h, err := kube.Basic(t.Context(), kc.Typed, "crash", "app=web", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Findings) != 1 || !strings.Contains(h.Findings[0].Title, "CrashLoopBackOff") ||
			!strings.Contains(h.Findings[0].Message, "log of container web is not available") {
			t.Errorf("health findings: %+v", h.Findings)
		}
	})

	t.Run("conflict with another field manager", func(t *testing.T) {
		t.Parallel()
		createNamespace(t, kc, "conflict")
		objs := load(t, map[string]string{"app.yaml": deployment("web", 2, "example.com/web:1", "")})
		apply(t, kc, objs, kube.ApplyOptions{Namespace: "conflict"})
		// Someone scales it with an update, as kubectl scale or edit does.
		_, err := kc.Typed.AppsV1().Deployments("conflict").Patch(t.Context(), "web", types.MergePatchType,
			[]byte(`{"spec":{"replicas":5}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"})
		if err != nil {
			t.Fatal(err)
		}
		applied, err := kc.Apply(t.Context(), objs, kube.ApplyOptions{Namespace: "conflict"})
		var ce *kube.ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("Apply = %v, want a ConflictError", err)
		}
		want := kube.Conflict{Field: ".spec.replicas", Manager: "kubectl-edit", APIVersion: "apps/v1"}
		if len(ce.Conflicts) != 1 || ce.Conflicts[0].Field != want.Field || ce.Conflicts[0].Manager != want.Manager || ce.Conflicts[0].APIVersion != want.APIVersion {
			t.Errorf("conflicts %+v, want %+v", ce.Conflicts, want)
		}
		fs := kube.ApplyFindings(applied)
		if len(fs) != 1 || fs[0].Location() != "app.yaml:6" || !strings.Contains(fs[0].Message, `"kubectl-edit"`) {
			t.Errorf("findings: %+v", fs)
		}
		// With force, shipgate takes the field.
		applied = apply(t, kc, objs, kube.ApplyOptions{Namespace: "conflict", Force: true})
		if applied[0].Outcome != kube.Configured || applied[0].Live.Object["spec"].(map[string]any)["replicas"] != int64(2) {
			t.Errorf("forced apply: %s", outcomes(applied))
		}
	})

	t.Run("CRD and its objects in one apply", func(t *testing.T) {
		t.Parallel()
		createNamespace(t, kc, "crd")
		objs := load(t, map[string]string{
			"widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n",
			"crd.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`,
		})
		applied := apply(t, kc, objs, kube.ApplyOptions{Namespace: "crd"})
		want := "CustomResourceDefinition/widgets.example.com created, Widget/crd/w created"
		if got := strings.Join(outcomes(applied), ", "); got != want {
			t.Errorf("outcomes: %s, want %s", got, want)
		}
		if err := kc.Wait(t.Context(), kube.ReadyIDs(applied), kube.WaitOptions{Timeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("timeout names what is not ready", func(t *testing.T) {
		t.Parallel()
		createNamespace(t, kc, "slow")
		objs := load(t, map[string]string{"app.yaml": strings.Replace(deployment("web", 1, "example.com/web:1", ""),
			"    spec:\n", "    spec:\n      nodeSelector: {shipgate.test/pool: none}\n", 1)})
		applied := apply(t, kc, objs, kube.ApplyOptions{Namespace: "slow"})
		err := kc.Wait(t.Context(), kube.ReadyIDs(applied), kube.WaitOptions{Timeout: 8 * time.Second})
		var we *kube.WaitError
		if !errors.As(err, &we) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v, want a timeout", err)
		}
		if msg := err.Error(); !strings.Contains(msg, "not ready after 8s: deployment/web 0/1 ready: pod web-") || !strings.Contains(msg, "PodScheduled=False") {
			t.Errorf("timeout error %q does not say what was not ready and why", msg)
		}
	})
}

// createNamespace creates a namespace.
func createNamespace(t *testing.T, kc *kube.Client, name string) {
	t.Helper()
	objs := load(t, map[string]string{"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + "}\n"})
	apply(t, kc, objs, kube.ApplyOptions{})
}

// TestWaitSurvivesAPIServerRestart restarts kube-apiserver while Wait
// watches a Deployment whose pods cannot be scheduled yet; after the
// restart a node label lets them run, and Wait must see it.
func TestWaitSurvivesAPIServerRestart(t *testing.T) {
	t.Parallel()
	c := localcluster.StartT(t)
	kc := newClient(t, c)
	createNamespace(t, kc, "restart")
	app := strings.Replace(deployment("web", 2, "example.com/web:1", ""), "    spec:\n", "    spec:\n      nodeSelector: {shipgate.test/pool: late}\n", 1)
	app = strings.Replace(app, "progressDeadlineSeconds: 10", "progressDeadlineSeconds: 600", 1)
	objs := load(t, map[string]string{"app.yaml": app})
	applied := apply(t, kc, objs, kube.ApplyOptions{Namespace: "restart"})

	p := &progressLog{t: t}
	done := make(chan error, 1)
	go func() {
		done <- kc.Wait(t.Context(), kube.ReadyIDs(applied), kube.WaitOptions{Timeout: 3 * time.Minute, Progress: p.add})
	}()
	// Let the watch start and see the pods pending.
	deadline := time.Now().Add(time.Minute)
	for !p.has("PodScheduled=False") {
		if time.Now().After(deadline) {
			t.Fatal("Wait never reported the pending pods")
		}
		time.Sleep(100 * time.Millisecond)
	}
	restart := time.Now()
	if err := c.RestartAPIServer(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver restarted in %s", time.Since(restart).Round(time.Millisecond))
	select {
	case err := <-done:
		t.Fatalf("Wait returned during the restart: %v", err)
	default:
	}
	_, err := kc.Typed.CoreV1().Nodes().Patch(t.Context(), localcluster.FirstNode, types.MergePatchType,
		[]byte(`{"metadata":{"labels":{"shipgate.test/pool":"late"}}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	labelled := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Wait after the restart: %v", err)
		}
		t.Logf("Wait saw the pods ready %s after the node was labelled", time.Since(labelled).Round(time.Millisecond))
	case <-time.After(3 * time.Minute):
		t.Fatal("Wait did not return")
	}
	d, err := kc.Typed.AppsV1().Deployments("restart").Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.ReadyReplicas != 2 {
		t.Errorf("Wait returned with %d/2 ready", d.Status.ReadyReplicas)
	}
}
