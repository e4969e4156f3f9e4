package podnet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// DefaultSyncTimeout bounds the wait for the pod informer's first list.
const DefaultSyncTimeout = 30 * time.Second

// DefaultDrainPeriod is how long a deleted pod's servers keep serving.
const DefaultDrainPeriod = 2 * time.Second

// workers is how many pods the controller syncs at once: one pod's ip
// commands do not hold up another's.
const workers = 4

// ControllerOptions configures a Controller; the zero value is the default.
type ControllerOptions struct {
	// Logger receives a line per pod not served (bad env, duplicate port)
	// and per retried failure; nil discards.
	Logger Logger
	// SyncTimeout bounds the wait for the first list of pods;
	// DefaultSyncTimeout when zero.
	SyncTimeout time.Duration
	// DrainPeriod is how long a deleted pod's servers go on serving, as a
	// real container serves between SIGTERM and its exit while the
	// endpoints controller and the proxies stop sending it traffic (kwok
	// deletes a pod at once). DefaultDrainPeriod when zero; negative stops
	// the servers at once. A new pod given a draining pod's IP (kwok reuses
	// IPs at once) ends the drain.
	DrainPeriod time.Duration
}

// Controller keeps a Server on every TCP containerPort of every pod that is
// Running (its containers started, or Ready) with a pod IP in the Network's CIDR, and nothing else:
// a pod that stops being Ready or changes IP, ports or serving env loses its
// servers and its address at once; a deleted pod loses them after
// DrainPeriod.
type Controller struct {
	client kubernetes.Interface
	net    *Network
	opts   ControllerOptions

	mu       sync.Mutex
	pods     map[string]*podServers     // namespace/name → what is served for it
	owner    map[netip.Addr]*podServers // pod IP → who holds it: a pod, a draining one or one being torn down
	draining map[*podServers]bool
	drains   sync.WaitGroup // one per drain whose timer has not been stopped
}

// podServers is what runs for one pod.
type podServers struct {
	key     string
	want    want
	servers []*Server
	// drain, set while the deleted pod drains, tears it down when it
	// fires; whoever stops it first (Stop returns true) tears it down
	// instead.
	drain *time.Timer
}

// want is what a pod should have served: its IP and, sorted by port, one
// entry per TCP containerPort.
type want struct {
	ip    netip.Addr
	ports []portWant
}

type portWant struct {
	port     uint16
	behavior Behavior
	// container is set on a container's first port: its Server exports
	// the container's CPU use and resources.
	container string
	resources Resources
}

func (w want) equal(o want) bool { return w.ip == o.ip && slices.Equal(w.ports, o.ports) }

// NewController returns a Controller for the pods client sees; Run starts
// it.
func NewController(client kubernetes.Interface, n *Network, opts ControllerOptions) *Controller {
	if opts.Logger == nil {
		opts.Logger = discard{}
	}
	if opts.SyncTimeout <= 0 {
		opts.SyncTimeout = DefaultSyncTimeout
	}
	if opts.DrainPeriod == 0 {
		opts.DrainPeriod = DefaultDrainPeriod
	}
	return &Controller{client: client, net: n, opts: opts, pods: map[string]*podServers{},
		owner: map[netip.Addr]*podServers{}, draining: map[*podServers]bool{}}
}

// Run watches pods in all namespaces through an informer and serves them
// until ctx ends, then stops every server (draining ones too) and removes
// every address it added. It returns an error when the first list of pods does not arrive
// within SyncTimeout or when the cleanup fails.
func (c *Controller) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	factory := informers.NewSharedInformerFactory(c.client, 0)
	defer factory.Shutdown() // after cancel, which stops the informer
	defer cancel()

	queue := workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](50*time.Millisecond, 5*time.Second),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "podnet"})
	inf := factory.Core().V1().Pods().Informer()
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			queue.Add(key)
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}); err != nil {
		return fmt.Errorf("watch pods: %w", err)
	}
	factory.Start(ctx.Done())

	syncCtx, cancelSync := context.WithTimeout(ctx, c.opts.SyncTimeout)
	synced := cache.WaitForCacheSync(syncCtx.Done(), inf.HasSynced)
	cancelSync()
	if !synced {
		queue.ShutDown()
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("wait for the first list of pods: %w", err)
		}
		return fmt.Errorf("wait for the first list of pods: not done within %v", c.opts.SyncTimeout)
	}

	var running sync.WaitGroup
	for range workers {
		running.Add(1)
		go func() {
			defer running.Done()
			for c.processNext(ctx, queue, inf.GetIndexer()) {
			}
		}()
	}
	<-ctx.Done()
	queue.ShutDown()
	running.Wait()
	return c.stopAll()
}

// processNext syncs one pod from the queue; false once the queue is shut
// down.
func (c *Controller) processNext(ctx context.Context, queue workqueue.TypedRateLimitingInterface[string], pods cache.Indexer) bool {
	key, quit := queue.Get()
	if quit {
		return false
	}
	defer queue.Done(key)
	var pod *corev1.Pod
	if obj, exists, err := pods.GetByKey(key); err == nil && exists {
		pod, _ = obj.(*corev1.Pod)
	}
	if err := c.sync(ctx, key, pod); err != nil {
		if ctx.Err() == nil {
			c.opts.Logger.Printf("podnet: pod %s: %v (will retry)", key, err)
			queue.AddRateLimited(key)
		}
		return true
	}
	queue.Forget(key)
	return true
}

// sync makes what is served for the pod at key (nil when deleted) match
// what it should have.
func (c *Controller) sync(ctx context.Context, key string, pod *corev1.Pod) error {
	var w *want
	if pod != nil {
		var err error
		if w, err = desired(pod, c.net); err != nil {
			c.opts.Logger.Printf("podnet: not serving pod %s: %v", key, err)
			w = nil
		}
	}
	c.mu.Lock()
	cur := c.pods[key]
	c.mu.Unlock()
	if cur != nil && w != nil && cur.want.equal(*w) {
		return nil
	}
	var errs []error
	switch {
	case cur != nil && pod == nil:
		c.drain(ctx, cur)
	case cur != nil:
		errs = append(errs, c.stop(ctx, cur))
	}
	if w != nil {
		errs = append(errs, c.start(ctx, key, pod.Name, *w))
	}
	return errors.Join(errs...)
}

// start adds the pod's address and a server per port; on failure it undoes
// what it did. A draining pod holding the IP is torn down first.
func (c *Controller) start(ctx context.Context, key, name string, w want) error {
	s := &podServers{key: key, want: w}
	c.mu.Lock()
	held := c.owner[w.ip]
	if held != nil && !(c.draining[held] && held.drain.Stop()) {
		c.mu.Unlock()
		return fmt.Errorf("pod IP %s is still served for pod %s", w.ip, held.key)
	}
	if held != nil { // its drain is ours to end
		delete(c.draining, held)
		c.drains.Done()
	}
	c.owner[w.ip] = s
	c.mu.Unlock()
	if held != nil {
		// The address stays on: only the servers change hands.
		if err := closeServers(held); err != nil {
			c.release(s)
			return fmt.Errorf("end the drain of pod %s: %w", held.key, err)
		}
	} else if err := c.net.AddAddress(ctx, w.ip); err != nil {
		c.release(s)
		return err
	}
	for _, p := range w.ports {
		srv, err := c.net.Serve(ctx, ServerConfig{Addr: netip.AddrPortFrom(w.ip, p.port), Pod: name, Namespace: namespaceOf(key),
			Container: p.container, Resources: p.resources, Behavior: p.behavior})
		if err != nil {
			err = errors.Join(err, c.teardown(ctx, s))
			c.release(s)
			return err
		}
		s.servers = append(s.servers, srv)
	}
	c.mu.Lock()
	c.pods[key] = s
	c.mu.Unlock()
	return nil
}

// namespaceOf is the namespace of a namespace/name key.
func namespaceOf(key string) string {
	ns, _, _ := strings.Cut(key, "/")
	return ns
}

// stop stops the pod's servers and removes its address, then forgets the
// pod and its IP: until its address is gone, Serving still lists it, so
// whoever sees it gone from Serving also finds its address gone.
func (c *Controller) stop(ctx context.Context, s *podServers) error {
	err := c.teardown(ctx, s)
	c.mu.Lock()
	if c.pods[s.key] == s {
		delete(c.pods, s.key)
	}
	c.mu.Unlock()
	c.release(s)
	return err
}

// drain forgets the deleted pod but keeps its servers for DrainPeriod.
func (c *Controller) drain(ctx context.Context, s *podServers) {
	if c.opts.DrainPeriod < 0 {
		if err := c.stop(ctx, s); err != nil {
			c.opts.Logger.Printf("podnet: stop deleted pod %s: %v", s.key, err)
		}
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pods[s.key] == s {
		delete(c.pods, s.key)
	}
	c.draining[s] = true
	c.drains.Add(1)
	s.drain = time.AfterFunc(c.opts.DrainPeriod, func() { c.endDrain(s) })
}

// endDrain tears a drained pod down once its DrainPeriod is over.
func (c *Controller) endDrain(s *podServers) {
	defer c.drains.Done()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := c.teardown(ctx, s); err != nil {
		c.opts.Logger.Printf("podnet: end the drain of pod %s: %v", s.key, err)
	}
	c.mu.Lock()
	delete(c.draining, s)
	c.mu.Unlock()
	c.release(s)
}

// release gives up s's hold on its IP, if it still has it.
func (c *Controller) release(s *podServers) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.owner[s.want.ip] == s {
		delete(c.owner, s.want.ip)
	}
}

// teardown stops the pod's servers and removes its address.
func (c *Controller) teardown(ctx context.Context, s *podServers) error {
	return errors.Join(closeServers(s), c.net.RemoveAddress(ctx, s.want.ip))
}

func closeServers(s *podServers) error {
	var errs []error
	for _, srv := range s.servers {
		errs = append(errs, srv.Close())
	}
	return errors.Join(errs...)
}

// stopAll stops everything, draining pods too, with a fresh deadline:
// Run's ctx has ended.
func (c *Controller) stopAll() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	c.mu.Lock()
	var all []*podServers
	for _, s := range c.pods {
		all = append(all, s)
	}
	for s := range c.draining {
		if s.drain.Stop() { // else its timer is tearing it down
			delete(c.draining, s)
			c.drains.Done()
			all = append(all, s)
		}
	}
	c.mu.Unlock()
	var errs []error
	for _, s := range all {
		if err := c.stop(ctx, s); err != nil {
			errs = append(errs, fmt.Errorf("stop pod %s: %w", s.key, err))
		}
	}
	c.drains.Wait()
	return errors.Join(errs...)
}

// Serving returns what is served now, draining pods included, and a pod
// being stopped until its address is removed: "podIP:port" →
// "namespace/name".
func (c *Controller) Serving() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]string{}
	for _, s := range c.serving() {
		for _, srv := range s.servers {
			m[srv.Addr().String()] = s.key
		}
	}
	return m
}

// serving lists the pods served and draining; call with mu held.
func (c *Controller) serving() []*podServers {
	var all []*podServers
	for _, s := range c.pods {
		all = append(all, s)
	}
	for s := range c.draining {
		all = append(all, s)
	}
	return all
}

// Stats returns every server's counters: "podIP:port" → Stats.
func (c *Controller) Stats() map[string]Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]Stats{}
	for _, s := range c.serving() {
		for _, srv := range s.servers {
			m[srv.Addr().String()] = srv.Stats()
		}
	}
	return m
}
