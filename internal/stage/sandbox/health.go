package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shipgate/shipgate/internal/deploy"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/provider"
	"github.com/shipgate/shipgate/internal/result"
	"github.com/shipgate/shipgate/internal/stage"
)

// The basic tier's check.
const CheckBasic = "health/basic"

// healthTiers runs the three tiers when the deploy got as far as applying;
// a tier that cannot run says why instead of passing.
func healthTiers(ctx context.Context, env *stage.Env, cl *provider.Cluster, kc *kube.Client, dep deploy.Result) ([]result.Check, []string, error) {
	if applyFailed(dep) {
		why := "the manifests did not load or apply"
		return []result.Check{{Name: CheckBasic, Skipped: why}, {Name: "health/service", Skipped: why}, {Name: "health/business", Skipped: why}}, nil, nil
	}
	cfg := env.Config.Sandbox
	// 1. Basic: pods ready, no crash loops or pull errors, restarts within
	// the limit, resource use where metrics exist.
	began := time.Now()
	var h kube.Health
	for _, ns := range workloadNamespaces(dep, cl.Handle.UsedNamespace) {
		hn, err := kube.Basic(ctx, cl.Client, ns, cfg.Selector, cfg.Restarts())
		if err != nil {
			return nil, nil, err
		}
		h.Findings = append(h.Findings, hn.Findings...)
		h.Evidence = append(h.Evidence, hn.Evidence...)
	}
	for i := range h.Findings {
		placeAtWorkload(&h.Findings[i], dep)
	}
	checks := []result.Check{{
		Name:        CheckBasic,
		Description: fmt.Sprintf("Every pod is Ready, none crash-looping, failing to pull its image or OOMKilled, at most %d restarts.", cfg.Restarts()),
		Findings:    h.Findings, Duration: time.Since(began),
	}}
	notes := []string{"Pods: " + strings.Join(h.Evidence, "; ")}
	more, loadNotes, err := upperTiers(ctx, env, cl, dep)
	if err != nil {
		return nil, nil, err
	}
	return append(checks, more...), append(notes, loadNotes...), nil
}

// workloadNamespaces lists the namespaces the applied workloads went to,
// sorted; the run's namespace when there are none.
func workloadNamespaces(dep deploy.Result, def string) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range dep.Applied {
		if isWorkload(a.ID.Kind) && a.ID.Namespace != "" && !seen[a.ID.Namespace] {
			seen[a.ID.Namespace] = true
			out = append(out, a.ID.Namespace)
		}
	}
	if len(out) == 0 {
		return []string{def}
	}
	slices.Sort(out)
	return out
}

func applyFailed(dep deploy.Result) bool {
	for _, c := range dep.Checks {
		if (c.Name == deploy.CheckManifests || c.Name == deploy.CheckApply) && (c.Failed() || c.Skipped != "") {
			return true
		}
	}
	return false
}

// placeAtWorkload points a finding about a pod at the manifest line of the
// workload that owns it: the applied workload whose name is the longest
// prefix of the pod's name (web-7d9f8-x2x4z belongs to Deployment web).
func placeAtWorkload(f *result.Finding, dep deploy.Result) {
	kind, rest, ok := strings.Cut(f.Object, "/")
	if !ok || kind != "Pod" || f.Path != "" {
		return
	}
	ns, pod, _ := strings.Cut(rest, "/")
	best := -1
	for i, a := range dep.Applied {
		if a.ID.Namespace == ns && isWorkload(a.ID.Kind) && strings.HasPrefix(pod, a.ID.Name+"-") &&
			(best < 0 || len(a.ID.Name) > len(dep.Applied[best].ID.Name)) {
			best = i
		}
	}
	if best >= 0 {
		a := dep.Applied[best]
		f.Path, f.Line = a.Source.Path, a.Source.Line
		f.Message = fmt.Sprintf("%s (pod of %s)", f.Message, a.ID)
	}
}

func isWorkload(kind string) bool {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod":
		return true
	}
	return false
}
