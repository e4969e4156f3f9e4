package kube

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/shipgate/shipgate/internal/result"
)

// logTailLines is how many log lines findings and diagnostics show.
const logTailLines = 20

// Health is what the first health tier found.
type Health struct {
	// Findings are the problems: pods not ready, restarts over the
	// threshold, containers crash-looping, failing to pull their image or
	// killed for memory, and no pods at all.
	Findings []result.Finding
	// Evidence has one line per pod (readiness, restarts, resource use)
	// and a line on whether resource use could be read.
	Evidence []string
}

// Basic checks the pods of namespace matching selector (a label selector;
// empty selects all): each must be ready and have restarted at most
// maxRestarts times in all its containers. A container in
// CrashLoopBackOff, ImagePullBackOff or ErrImagePull, or last killed with
// OOMKilled, is named with its reason and the last lines of its log (the
// previous run's, after a restart), or a plain statement that the log is
// not available. Resource use comes from metrics.k8s.io when the cluster
// serves it; otherwise the evidence says that metrics are not available.
func Basic(ctx context.Context, client kubernetes.Interface, namespace, selector string, maxRestarts int32) (Health, error) {
	var h Health
	var pods *corev1.PodList
	err := retryTransient(ctx, func(ctx context.Context) error {
		var err error
		pods, err = client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		return err
	})
	if err != nil {
		return h, fmt.Errorf("health of pods %q in %s: list pods: %w", selector, namespace, err)
	}
	items := pods.Items
	slices.SortFunc(items, func(a, b corev1.Pod) int { return cmp.Compare(a.Name, b.Name) })
	if len(items) == 0 {
		h.Findings = append(h.Findings, result.Finding{
			Check: CheckHealth, Level: result.Failure, Title: "No pods",
			Message: fmt.Sprintf("No pods in namespace %s match the selector %q: check the selector, or why the workload has no pods (see the events).", namespace, selector),
		})
	}
	usage, metricsNote := podMetrics(ctx, client, namespace, selector)
	for i := range items {
		p := &items[i]
		h.Findings = append(h.Findings, podFindings(ctx, client, p, maxRestarts)...)
		m, ok := usage[p.Name]
		h.Findings = append(h.Findings, limitFindings(p, m)...)
		h.Evidence = append(h.Evidence, podEvidence(p, useText(p, m, ok)))
	}
	h.Evidence = append(h.Evidence, metricsNote)
	return h, nil
}

// podFindings returns the problems of one pod.
func podFindings(ctx context.Context, client kubernetes.Interface, p *corev1.Pod, maxRestarts int32) []result.Finding {
	var fs []result.Finding
	obj := "Pod/" + p.Namespace + "/" + p.Name
	add := func(title, msg string) {
		fs = append(fs, result.Finding{Check: CheckHealth, Level: result.Failure, Title: title, Message: msg, Object: obj})
	}
	named := false
	var total int32
	for _, cs := range allStatuses(p) {
		total += cs.RestartCount
		reason := ""
		switch {
		case cs.State.Waiting != nil && slices.Contains([]string{"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull"}, cs.State.Waiting.Reason):
			reason = joinNonEmpty(": ", cs.State.Waiting.Reason, cs.State.Waiting.Message)
		case cs.State.Terminated != nil && cs.State.Terminated.Reason == "OOMKilled",
			cs.LastTerminationState.Terminated != nil && cs.LastTerminationState.Terminated.Reason == "OOMKilled":
			reason = "OOMKilled: the container used more memory than its limit"
		}
		if reason == "" {
			continue
		}
		named = true
		msg := fmt.Sprintf("Container %s of pod %s: %s (%d restarts).", cs.Name, p.Name, reason, cs.RestartCount)
		if !strings.HasPrefix(reason, "ImagePull") && !strings.HasPrefix(reason, "ErrImagePull") {
			msg += "\n" + logTail(ctx, client, p, cs.Name, cs.RestartCount > 0)
		}
		add(fmt.Sprintf("%s: container %s %s", p.Name, cs.Name, strings.SplitN(reason, ":", 2)[0]), msg)
	}
	if !named && p.DeletionTimestamp == nil {
		if prob := PodProblem(p); prob != "" {
			add(p.Name+" not ready", fmt.Sprintf("Pod %s is not ready: %s.", p.Name, prob))
		}
	}
	if total > maxRestarts {
		add(fmt.Sprintf("%s restarted %d times", p.Name, total),
			fmt.Sprintf("The containers of pod %s restarted %d times in all, more than the %d allowed.", p.Name, total, maxRestarts))
	}
	return fs
}

// logTail returns the last lines of a container's log (of its previous
// run when previous), indented, or a plain note that they are not
// available and why.
func logTail(ctx context.Context, client kubernetes.Interface, p *corev1.Pod, container string, previous bool) string {
	lines, err := containerLog(ctx, client, p, container, previous, logTailLines)
	if err != nil {
		return fmt.Sprintf("The log of container %s is not available: %v. (Clusters with fake nodes, such as kwok, have no kubelet to serve logs.)", container, err)
	}
	if strings.TrimSpace(lines) == "" {
		return fmt.Sprintf("The log of container %s is empty.", container)
	}
	which := "Last"
	if previous {
		which = "Last (previous run)"
	}
	return fmt.Sprintf("%s %d log lines of container %s:\n%s", which, logTailLines, container, indent(lines))
}

// containerLog reads the last lines of a container's log, within 10 s.
func containerLog(ctx context.Context, client kubernetes.Interface, p *corev1.Pod, container string, previous bool, tail int64) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req := client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: container, Previous: previous, TailLines: &tail})
	data, err := req.DoRaw(ctx)
	if err != nil {
		return "", err
	}
	return string(data), nil
}

// indent prefixes each line with four spaces.
func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// podEvidence describes a pod in one line.
func podEvidence(p *corev1.Pod, use string) string {
	state := "ready"
	if prob := PodProblem(p); prob != "" {
		state = "not ready: " + prob
	}
	var restarts int32
	for _, cs := range allStatuses(p) {
		restarts += cs.RestartCount
	}
	s := fmt.Sprintf("pod %s on %s: %s, %d restarts", p.Name, cmp.Or(p.Spec.NodeName, "no node"), state, restarts)
	if use != "" {
		s += ", " + use
	}
	return s
}

// podMetrics reads the pods' resource use from metrics.k8s.io, decoded
// into its own API types: pod name → metrics, and a line saying whether
// metrics were read.
func podMetrics(ctx context.Context, client kubernetes.Interface, namespace, selector string) (map[string]metricsv1beta1.PodMetrics, string) {
	const gv = "metrics.k8s.io/v1beta1"
	if _, err := client.Discovery().ServerResourcesForGroupVersion(gv); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "resource use: metrics are not available (the cluster does not serve " + gv + "; install metrics-server to get them), so use is not compared with requests and limits"
		}
		return nil, fmt.Sprintf("resource use: metrics are not available (discovery of %s failed: %v)", gv, err)
	}
	rc, ok := client.CoreV1().RESTClient().(*rest.RESTClient)
	if !ok || rc == nil {
		return nil, "resource use: metrics are not available (no REST client)"
	}
	data, err := rc.Get().AbsPath("/apis/metrics.k8s.io/v1beta1/namespaces", namespace, "pods").
		Param("labelSelector", selector).DoRaw(ctx)
	if err != nil {
		return nil, fmt.Sprintf("resource use: metrics are not available (reading %s failed: %v)", gv, err)
	}
	var list metricsv1beta1.PodMetricsList
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Sprintf("resource use: metrics are not available (cannot read %s: %v)", gv, err)
	}
	use := make(map[string]metricsv1beta1.PodMetrics, len(list.Items))
	for _, it := range list.Items {
		use[it.Name] = it
	}
	return use, fmt.Sprintf("resource use: read from %s for %d pods and compared with their requests and limits", gv, len(use))
}

// NearLimit is the share of a limit at which use is reported: CPU there is
// throttled, memory there is close to an OOM kill.
const NearLimit = 0.9

// useText says a pod's containers' use against their requests and limits,
// e.g. "web cpu 450m (request 100m, limit 500m, 90%); memory 30Mi".
func useText(p *corev1.Pod, m metricsv1beta1.PodMetrics, ok bool) string {
	if !ok {
		return ""
	}
	var parts []string
	for _, c := range m.Containers {
		spec := containerSpec(p, c.Name)
		var res []string
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			u := c.Usage[name]
			t := fmt.Sprintf("%s %s", name, u.String())
			var extra []string
			if r, ok := spec.Resources.Requests[name]; ok {
				extra = append(extra, "request "+r.String())
			}
			if l, ok := spec.Resources.Limits[name]; ok && !l.IsZero() {
				extra = append(extra, fmt.Sprintf("limit %s, %.0f%%", l.String(), share(u, l)*100))
			}
			if len(extra) > 0 {
				t += " (" + strings.Join(extra, ", ") + ")"
			}
			res = append(res, t)
		}
		parts = append(parts, c.Name+" "+strings.Join(res, ", "))
	}
	return strings.Join(parts, "; ")
}

// limitFindings are warnings for containers whose use is at NearLimit of
// their limit or more.
func limitFindings(p *corev1.Pod, m metricsv1beta1.PodMetrics) []result.Finding {
	var out []result.Finding
	for _, c := range m.Containers {
		spec := containerSpec(p, c.Name)
		for name, why := range map[corev1.ResourceName]string{
			corev1.ResourceCPU:    "CPU is throttled at its limit: the app slows down under load",
			corev1.ResourceMemory: "memory at its limit is OOM-killed",
		} {
			l, ok := spec.Resources.Limits[name]
			u := c.Usage[name]
			if !ok || l.IsZero() || share(u, l) < NearLimit {
				continue
			}
			out = append(out, result.Finding{
				Check: CheckHealth, Level: result.Warning, Object: "Pod/" + p.Namespace + "/" + p.Name,
				Title:   fmt.Sprintf("Container %s uses %.0f%% of its %s limit", c.Name, share(u, l)*100, name),
				Message: fmt.Sprintf("Container %s of pod %s/%s uses %s of its %s limit %s: %s. Raise the limit or find what uses it.", c.Name, p.Namespace, p.Name, u.String(), name, l.String(), why),
			})
		}
	}
	slices.SortFunc(out, func(a, b result.Finding) int { return cmp.Compare(a.Title, b.Title) })
	return out
}

func share(use, limit resource.Quantity) float64 {
	return float64(use.MilliValue()) / float64(limit.MilliValue())
}

func containerSpec(p *corev1.Pod, name string) corev1.Container {
	for _, c := range p.Spec.Containers {
		if c.Name == name {
			return c
		}
	}
	return corev1.Container{}
}
