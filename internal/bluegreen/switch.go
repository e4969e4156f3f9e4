package bluegreen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/shipgate/shipgate/internal/kube"
)

// Switch applies services (production Services selecting one revision)
// all at once, taking the selector from whoever held it, and returns when
// the last one is applied. A Service that already selects the revision is
// left as it is, so a switch done twice changes nothing the second time.
func Switch(ctx context.Context, kc *kube.Client, services []kube.Object) (changed int, err error) {
	var wg sync.WaitGroup
	errs := make([]error, len(services))
	done := make([]bool, len(services))
	for i, s := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied, err := kc.Apply(ctx, []kube.Object{s}, kube.ApplyOptions{Namespace: s.Obj.GetNamespace(), Force: true})
			if err != nil {
				errs[i] = fmt.Errorf("switch %s: %w", s.ID(), err)
				return
			}
			done[i] = len(applied) == 1 && applied[0].Outcome != kube.Unchanged
		}()
	}
	wg.Wait()
	for _, d := range done {
		if d {
			changed++
		}
	}
	return changed, errors.Join(errs...)
}

// SelectedRevision reads which revision a production Service selects: 0
// when it does not exist or selects no revision.
func SelectedRevision(ctx context.Context, client kubernetes.Interface, namespace, name string) (int, error) {
	svc, err := client.CoreV1().Services(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("read service %s/%s: %w", namespace, name, err)
	}
	n, _ := strconv.Atoi(svc.Spec.Selector[LabelRevision])
	return n, nil
}

// Scale sets the replicas of Deployments, by merge patch (the revision's
// workloads are shipgate's own; a scale to zero keeps the object for a
// rollback). A Deployment that does not exist (never made, or pruned) has
// nothing to scale and is skipped.
func Scale(ctx context.Context, client kubernetes.Interface, ids []kube.ID, replicas int32) error {
	var errs []error
	patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas)
	for _, id := range ids {
		_, err := client.AppsV1().Deployments(id.Namespace).Patch(ctx, id.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "shipgate"})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("scale %s to %d: %w", id, replicas, err))
		}
	}
	return errors.Join(errs...)
}

// Replicas returns the replicas a revision's Deployment asks for; ok is
// false when it does not exist.
func Replicas(ctx context.Context, client kubernetes.Interface, id kube.ID) (int32, bool, error) {
	d, err := client.AppsV1().Deployments(id.Namespace).Get(ctx, id.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("read %s: %w", id, err)
	}
	if d.Spec.Replicas == nil {
		return 1, true, nil
	}
	return *d.Spec.Replicas, true, nil
}

// EndpointsOf waits until every Service's ready endpoints are pods of
// revision rev only, and at least one, watching its EndpointSlices; it
// returns the time that was true for the last Service. The error says
// which Service still had which revisions when timeout passed.
func EndpointsOf(ctx context.Context, client kubernetes.Interface, services []kube.ID, rev int, timeout time.Duration) (time.Time, error) {
	want := strconv.Itoa(rev)
	only := func(revs map[string]int) bool { return len(revs) == 1 && revs[want] > 0 }
	return waitEndpoints(ctx, client, services, fmt.Sprintf("revision %d's pods only", rev), only, timeout)
}

// EndpointsCount waits until the Service's ready endpoints are exactly
// want's pods: as many of each revision as it says, and none of another.
func EndpointsCount(ctx context.Context, client kubernetes.Interface, service kube.ID, want map[int]int, timeout time.Duration) (time.Time, error) {
	w := map[string]int{}
	var parts []string
	for rev, n := range want {
		if n > 0 {
			w[strconv.Itoa(rev)] = n
			parts = append(parts, fmt.Sprintf("%d of revision %d", n, rev))
		}
	}
	slices.Sort(parts)
	exact := func(revs map[string]int) bool { return maps.Equal(revs, w) }
	return waitEndpoints(ctx, client, []kube.ID{service}, strings.Join(parts, " and "), exact, timeout)
}

// EndpointsReady waits until every Service has a ready endpoint, whatever
// its pods' revision (a rolling update's Services).
func EndpointsReady(ctx context.Context, client kubernetes.Interface, services []kube.ID, timeout time.Duration) (time.Time, error) {
	some := func(revs map[string]int) bool { return len(revs) > 0 }
	return waitEndpoints(ctx, client, services, "a ready pod", some, timeout)
}

// waitEndpoints waits until accept holds for each Service's ready
// endpoints, counted by their pods' revision.
func waitEndpoints(ctx context.Context, client kubernetes.Interface, services []kube.ID, what string, accept func(map[string]int) bool, timeout time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last time.Time
	for _, s := range services {
		at, err := endpointsOf(ctx, client, s, accept)
		if err != nil {
			return last, fmt.Errorf("wait for the endpoints of %s to be %s (timeout %s): %w", s, what, timeout, err)
		}
		if at.After(last) {
			last = at
		}
	}
	return last, nil
}

func endpointsOf(ctx context.Context, client kubernetes.Interface, svc kube.ID, accept func(map[string]int) bool) (time.Time, error) {
	sliceClient := client.DiscoveryV1().EndpointSlices(svc.Namespace)
	sel := metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc.Name}
	list, err := sliceClient.List(ctx, sel)
	if err != nil {
		return time.Time{}, err
	}
	state := map[string]discoveryv1.EndpointSlice{}
	for _, s := range list.Items {
		state[s.Name] = s
	}
	seen := ""
	check := func() (bool, error) {
		revs, err := endpointRevisions(ctx, client, svc.Namespace, state)
		if err != nil {
			return false, err
		}
		seen = describe(revs)
		return accept(revs), nil
	}
	if ok, err := check(); err != nil || ok {
		return time.Now(), err
	}
	sel.ResourceVersion = list.ResourceVersion
	w, err := sliceClient.Watch(ctx, sel)
	if err != nil {
		return time.Time{}, err
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("ready endpoints were %s", seen)
		case ev, ok := <-w.ResultChan():
			if !ok {
				return endpointsOf(ctx, client, svc, accept) // the watch ended: list again
			}
			s, isSlice := ev.Object.(*discoveryv1.EndpointSlice)
			if !isSlice {
				continue
			}
			if ev.Type == watch.Deleted {
				delete(state, s.Name)
			} else {
				state[s.Name] = *s
			}
			if ok, err := check(); err != nil || ok {
				return time.Now(), err
			}
		}
	}
}

// endpointRevisions counts the ready endpoints of slices by the revision
// label of their pods ("none" for a pod without one).
func endpointRevisions(ctx context.Context, client kubernetes.Interface, namespace string, state map[string]discoveryv1.EndpointSlice) (map[string]int, error) {
	out := map[string]int{}
	for _, s := range state {
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			if ep.TargetRef == nil || ep.TargetRef.Kind != "Pod" {
				out["none"]++
				continue
			}
			pod, err := client.CoreV1().Pods(namespace).Get(ctx, ep.TargetRef.Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				continue
			case err != nil:
				return nil, fmt.Errorf("read pod %s/%s: %w", namespace, ep.TargetRef.Name, err)
			}
			out[podRevision(pod)]++
		}
	}
	return out, nil
}

func podRevision(p *corev1.Pod) string {
	if r := p.Labels[LabelRevision]; r != "" {
		return r
	}
	return "none"
}

func describe(revs map[string]int) string {
	if len(revs) == 0 {
		return "none"
	}
	var parts []string
	for r, n := range revs {
		parts = append(parts, fmt.Sprintf("%d of revision %s", n, r))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// ServiceIDs are the IDs of objects.
func ServiceIDs(objs []kube.Object) []kube.ID {
	out := make([]kube.ID, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.ID())
	}
	return out
}

// RevisionOf reads the revision label of an object; 0 when it has none.
func RevisionOf(u *unstructured.Unstructured) int {
	n, _ := strconv.Atoi(u.GetLabels()[LabelRevision])
	return n
}
