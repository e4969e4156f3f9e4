package monitor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Sources of the Conditions sampler's intervals.
const (
	// SourceConditions: one Info interval per watched kind for the whole
	// watch ("ns/shop watch/pods"), and an instant Warning per failed watch.
	SourceConditions = "conditions"
	// SourceDeployment, SourceStatefulSet, SourceDaemonSet: a workload
	// condition's status and reason from change to change, one lane per
	// condition ("ns/shop deployment/web condition/Available"); Error while
	// Available or Progressing is False or ReplicaFailure True.
	SourceDeployment  = "deployment-condition"
	SourceStatefulSet = "statefulset-condition"
	SourceDaemonSet   = "daemonset-condition"
	// SourceReplicas: a workload's replica counts from change to change.
	SourceReplicas = "workload-replicas"
	// SourcePodReady: Warning while a pod is not Ready.
	SourcePodReady = "pod-readiness"
	// SourcePodRestart: an instant Error per container restart.
	SourcePodRestart = "pod-restart"
	// SourceContainer: a container's waiting reason (CrashLoopBackOff,
	// ImagePullBackOff: Warning; ContainerCreating: Info).
	SourceContainer = "pod-container"
	// SourceNode: Error while a node is not Ready, Warning while it has a
	// pressure condition.
	SourceNode = "node-condition"
)

// Conditions watches a namespace's Deployments, StatefulSets, DaemonSets
// and pods, and optionally the nodes, and records their state changes as
// intervals. It watches through informers: a failed watch is re-listed
// with the reflector's bounded backoff, never polled.
type Conditions struct {
	client    kubernetes.Interface
	namespace string
	nodes     bool
	now       func() time.Time
}

// NewConditions returns a sampler of namespace's workloads and pods, and of
// the nodes when nodes is set (that needs list and watch on nodes).
func NewConditions(client kubernetes.Interface, namespace string, nodes bool) *Conditions {
	return &Conditions{client: client, namespace: namespace, nodes: nodes, now: time.Now}
}

// Name names the sampler in errors.
func (c *Conditions) Name() string { return "conditions ns/" + c.namespace }

// Run watches until ctx ends. It calls started once every watch has
// delivered its first list to the handlers, so states at the start are
// recorded from then on.
func (c *Conditions) Run(ctx context.Context, rec *Recorder, started func()) error {
	if c.namespace == "" {
		return errors.New("conditions: no namespace; set the namespace the rollout happens in")
	}
	t := newTracker(rec, c.now)
	ns := informers.NewSharedInformerFactoryWithOptions(c.client, 0, informers.WithNamespace(c.namespace))
	all := informers.NewSharedInformerFactory(c.client, 0)
	defer all.Shutdown()
	defer ns.Shutdown()
	stop := make(chan struct{})
	defer close(stop) // before the Shutdowns, which wait for the informers

	w := &watcher{t: t, namespace: c.namespace, ctx: ctx, restarts: map[string]map[string]int32{}}
	kinds := []watchedKind{
		{"deployments", ns.Apps().V1().Deployments().Informer(), w.objects(deploymentStates)},
		{"statefulsets", ns.Apps().V1().StatefulSets().Informer(), w.objects(statefulSetStates)},
		{"daemonsets", ns.Apps().V1().DaemonSets().Informer(), w.objects(daemonSetStates)},
		{"pods", ns.Core().V1().Pods().Informer(), w.pods()},
	}
	if c.nodes {
		kinds = append(kinds, watchedKind{"nodes", all.Core().V1().Nodes().Informer(), w.objects(nodeStates)})
	}
	var synced []cache.InformerSynced
	var watched []string
	for _, k := range kinds {
		reg, err := k.informer.AddEventHandler(k.handler)
		if err != nil {
			return fmt.Errorf("watch %s: %w", k.what, err)
		}
		if err := k.informer.SetWatchErrorHandler(w.watchError(k.what)); err != nil {
			return fmt.Errorf("watch %s: %w", k.what, err)
		}
		synced = append(synced, reg.HasSynced)
		watched = append(watched, k.what)
	}
	ns.Start(stop)
	all.Start(stop)
	// Monitor.Start bounds this wait and names the sampler when it ends.
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return fmt.Errorf("wait for the first list of %s: %w", strings.Join(watched, ", "), ctx.Err())
	}
	from := c.now()
	started()
	<-ctx.Done()
	end := rec.StopTime()
	t.closeAll(end)
	for _, what := range watched {
		loc := watchLocator(c.namespace, what)
		rec.Record(Interval{From: from, To: end, Level: Info, Source: SourceConditions, Locator: loc, Message: "watched " + loc})
	}
	return nil
}

// watchedKind is one kind the sampler watches.
type watchedKind struct {
	what     string
	informer cache.SharedIndexInformer
	handler  cache.ResourceEventHandler
}

// watcher feeds informer events to the tracker.
type watcher struct {
	t         *tracker
	namespace string
	ctx       context.Context
	// restarts is pod locator → container → restart count last seen.
	restarts map[string]map[string]int32
}

// objects handles a kind whose every observation is a set of states.
func (w *watcher) objects(states func(obj any) (object string, s []state)) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.t.observe(states(obj)) },
		UpdateFunc: func(_, obj any) { w.t.observe(states(obj)) },
		DeleteFunc: func(obj any) {
			if object, _ := states(unwrap(obj)); object != "" {
				w.t.observe(object, nil)
			}
		},
	}
}

// watchError records a failed watch: until the re-list the sampler is
// blind to that kind.
func (w *watcher) watchError(what string) cache.WatchErrorHandler {
	return func(_ *cache.Reflector, err error) {
		if w.ctx.Err() != nil {
			return
		}
		now := w.t.now()
		w.t.rec.Record(Interval{From: now, To: now, Level: Warning, Source: SourceConditions, Locator: watchLocator(w.namespace, what),
			Message: fmt.Sprintf("watch of %s failed, re-listing: %v", what, err)})
	}
}

// watchLocator locates a watch: "ns/shop watch/pods", or "watch/nodes".
func watchLocator(namespace, what string) string {
	if what == "nodes" {
		return "watch/nodes"
	}
	return "ns/" + namespace + " watch/" + what
}

// unwrap returns the object of a deletion whose final state is unknown.
func unwrap(obj any) any {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return d.Obj
	}
	return obj
}
