package kube

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/cli-utils/pkg/kstatus/polling/event"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// waiter is the state of one Wait.
type waiter struct {
	c     *Client
	ids   []ID
	state map[ID]*tracked
	// pods holds the pod caches by namespace.
	pods map[string]cache.Indexer
	// last is the line last reported for each object.
	last map[ID]string
}

// tracked is what is known of one object.
type tracked struct {
	seen    bool
	status  status.Status
	message string
	obj     *unstructured.Unstructured
}

func newWaiter(c *Client, ids []ID) *waiter {
	w := &waiter{c: c, ids: ids, state: make(map[ID]*tracked, len(ids)), pods: make(map[string]cache.Indexer), last: make(map[ID]string)}
	for _, id := range ids {
		w.state[id] = &tracked{status: status.UnknownStatus}
	}
	return w
}

// watchPods starts a pod informer in each namespace holding a workload and
// returns a channel that receives when pods change, and a function that
// stops the informers.
func (w *waiter) watchPods(ctx context.Context) (<-chan struct{}, func()) {
	changed := make(chan struct{}, 1)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	var factories []informers.SharedInformerFactory
	for _, id := range w.ids {
		if podSpecPath(id) == nil || w.pods[id.Namespace] != nil {
			continue
		}
		f := informers.NewSharedInformerFactoryWithOptions(w.c.Typed, 0, informers.WithNamespace(id.Namespace))
		inf := f.Core().V1().Pods().Informer()
		_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { notify() },
			UpdateFunc: func(any, any) { notify() },
			DeleteFunc: func(any) { notify() },
		})
		w.pods[id.Namespace] = inf.GetIndexer()
		factories = append(factories, f)
	}
	stop := make(chan struct{})
	for _, f := range factories {
		f.Start(stop)
	}
	return changed, func() {
		close(stop)
		for _, f := range factories {
			f.Shutdown()
		}
	}
}

// update records a status the watcher reported.
func (w *waiter) update(rs *event.ResourceStatus) {
	if rs == nil {
		return
	}
	id := ID{Group: rs.Identifier.GroupKind.Group, Kind: rs.Identifier.GroupKind.Kind, Namespace: rs.Identifier.Namespace, Name: rs.Identifier.Name}
	t, ok := w.state[id]
	if !ok {
		return
	}
	t.seen, t.status, t.message = true, rs.Status, rs.Message
	if rs.Error != nil {
		t.message = joinNonEmpty(": ", t.message, rs.Error.Error())
	}
	if rs.Resource != nil {
		t.obj = rs.Resource
	}
}

// line says in one line what state an object is in and why.
func (w *waiter) line(id ID) string {
	t := w.state[id]
	name := id.Short()
	switch {
	case !t.seen:
		return name + ": not seen by the watch yet"
	case t.status == status.CurrentStatus:
		return name + " ready"
	}
	counts := replicaCounts(t.obj)
	pods := w.podProblem(id, t.obj)
	if t.status == status.FailedStatus {
		why := t.message
		if _, msg := condition(t.obj, "Progressing"); id.Kind == "Deployment" && msg != "" {
			why = msg
		}
		return name + " failed: " + joinNonEmpty("; ", why, joinNonEmpty(": ", counts, pods))
	}
	if counts != "" {
		return name + " " + counts + ": " + cmpOr(pods, t.message)
	}
	return name + " " + string(t.status) + ": " + joinNonEmpty("; ", t.message, pods)
}

// cmpOr returns the first non-empty string.
func cmpOr(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// replicaCounts renders "2/3 ready" for workloads with replicas, adding the
// updated count during a rollout; "" for other kinds.
func replicaCounts(u *unstructured.Unstructured) string {
	if u == nil {
		return ""
	}
	num := func(path ...string) int64 {
		v, _, _ := unstructured.NestedInt64(u.Object, path...)
		return v
	}
	switch IDOf(u).Kind {
	case "Deployment", "StatefulSet", "ReplicaSet":
		want, found, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
		if !found {
			want = 1
		}
		s := fmt.Sprintf("%d/%d ready", num("status", "readyReplicas"), want)
		if up := num("status", "updatedReplicas"); IDOf(u).Kind != "ReplicaSet" && up < want {
			s += fmt.Sprintf(", %d/%d updated", up, want)
		}
		return s
	case "DaemonSet":
		return fmt.Sprintf("%d/%d ready", num("status", "numberReady"), num("status", "desiredNumberScheduled"))
	}
	return ""
}

// podProblem finds why a workload's pods are not ready, from the pod cache.
func (w *waiter) podProblem(id ID, u *unstructured.Unstructured) string {
	idx := w.pods[id.Namespace]
	if idx == nil || u == nil {
		return ""
	}
	var sel labels.Selector
	if id.Kind == "Pod" {
		sel = labels.Everything()
	} else {
		ls := &metav1.LabelSelector{}
		m, found, _ := unstructured.NestedMap(u.Object, append(podSpecPath(id)[:len(podSpecPath(id))-2], "selector")...)
		if !found {
			return ""
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, ls); err != nil {
			return ""
		}
		s, err := metav1.LabelSelectorAsSelector(ls)
		if err != nil {
			return ""
		}
		sel = s
	}
	objs, _ := idx.ByIndex(cache.NamespaceIndex, id.Namespace)
	var pods []*corev1.Pod
	for _, o := range objs {
		p, ok := o.(*corev1.Pod)
		if !ok {
			continue
		}
		if id.Kind == "Pod" && p.Name != id.Name || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		pods = append(pods, p)
	}
	return firstProblem(pods)
}

// report sends the lines that changed since they were last sent.
func (w *waiter) report(progress func(string)) {
	for _, id := range w.ids {
		l := w.line(id)
		if w.last[id] == l || !w.state[id].seen {
			continue
		}
		w.last[id] = l
		progress(l)
	}
}

// heartbeat repeats the lines of what is still not ready.
func (w *waiter) heartbeat(progress func(string), elapsed, timeout time.Duration) {
	nr := w.notReady()
	progress(fmt.Sprintf("still waiting for %d of %d objects after %s (deadline %s):", len(nr), len(w.ids), elapsed.Round(time.Second), timeout))
	for _, s := range nr {
		progress("  " + s.Line)
	}
}

// notReady returns the objects that are not Current, in the order given.
func (w *waiter) notReady() []ObjectStatus {
	var out []ObjectStatus
	for _, id := range w.ids {
		if t := w.state[id]; !t.seen || t.status != status.CurrentStatus {
			out = append(out, ObjectStatus{ID: id, Status: string(t.status), Line: w.line(id)})
		}
	}
	return out
}

// failed returns the objects whose status is Failed.
func (w *waiter) failed() []ObjectStatus {
	return slices.DeleteFunc(w.notReady(), func(s ObjectStatus) bool { return s.Status != string(status.FailedStatus) })
}

// allReady reports whether every object is Current.
func (w *waiter) allReady() bool {
	return len(w.notReady()) == 0
}

// fail builds the error of a wait that ended without a failed object.
func (w *waiter) fail(timeout time.Duration, err error) error {
	return &WaitError{Timeout: timeout, Failed: w.failed(), NotReady: w.notReady(), Err: err}
}
