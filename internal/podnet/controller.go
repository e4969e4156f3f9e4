package podnet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
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

// ControllerOptions configures a Controller; the zero value is the default.
type ControllerOptions struct {
	// Logger receives a line per pod not served (bad env, duplicate port)
	// and per retried failure; nil discards.
	Logger Logger
	// SyncTimeout bounds the wait for the first list of pods;
	// DefaultSyncTimeout when zero.
	SyncTimeout time.Duration
}

// Controller keeps a Server on every TCP containerPort of every pod that is
// Running and Ready with a pod IP in the Network's CIDR, and nothing else:
// a pod that goes away, stops being Ready or changes IP, ports or serving
// env loses its servers and its address.
type Controller struct {
	client kubernetes.Interface
	net    *Network
	opts   ControllerOptions

	mu    sync.Mutex
	pods  map[string]*podServers // namespace/name → what is served for it
	owner map[netip.Addr]string  // pod IP → namespace/name serving it
}

// podServers is what runs for one pod.
type podServers struct {
	want    want
	servers []*Server
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
	return &Controller{client: client, net: n, opts: opts, pods: map[string]*podServers{}, owner: map[netip.Addr]string{}}
}

// Run watches pods in all namespaces through an informer and serves them
// until ctx ends, then stops every server and removes every address it
// added. It returns an error when the first list of pods does not arrive
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

	done := make(chan struct{})
	go func() {
		defer close(done)
		for c.processNext(ctx, queue, inf.GetIndexer()) {
		}
	}()
	<-ctx.Done()
	queue.ShutDown()
	<-done
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
	if cur != nil {
		errs = append(errs, c.stop(ctx, key, cur))
	}
	if w != nil {
		errs = append(errs, c.start(ctx, key, pod.Name, *w))
	}
	return errors.Join(errs...)
}

// start adds the pod's address and a server per port; on failure it undoes
// what it did.
func (c *Controller) start(ctx context.Context, key, name string, w want) error {
	c.mu.Lock()
	other, busy := c.owner[w.ip]
	c.mu.Unlock()
	if busy {
		return fmt.Errorf("pod IP %s is still served for pod %s", w.ip, other)
	}
	if err := c.net.AddAddress(ctx, w.ip); err != nil {
		return err
	}
	s := &podServers{want: w}
	for _, p := range w.ports {
		srv, err := c.net.Serve(ctx, ServerConfig{Addr: netip.AddrPortFrom(w.ip, p.port), Pod: name, Behavior: p.behavior})
		if err != nil {
			return errors.Join(err, c.teardown(ctx, s))
		}
		s.servers = append(s.servers, srv)
	}
	c.mu.Lock()
	c.pods[key] = s
	c.owner[w.ip] = key
	c.mu.Unlock()
	return nil
}

// stop forgets the pod at key, then stops its servers and removes its
// address.
func (c *Controller) stop(ctx context.Context, key string, s *podServers) error {
	c.mu.Lock()
	delete(c.pods, key)
	if c.owner[s.want.ip] == key {
		delete(c.owner, s.want.ip)
	}
	c.mu.Unlock()
	return c.teardown(ctx, s)
}

func (c *Controller) teardown(ctx context.Context, s *podServers) error {
	var errs []error
	for _, srv := range s.servers {
		errs = append(errs, srv.Close())
	}
	errs = append(errs, c.net.RemoveAddress(ctx, s.want.ip))
	return errors.Join(errs...)
}

// stopAll stops everything, with a fresh deadline: Run's ctx has ended.
func (c *Controller) stopAll() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	c.mu.Lock()
	all := make(map[string]*podServers, len(c.pods))
	for k, s := range c.pods {
		all[k] = s
	}
	c.mu.Unlock()
	var errs []error
	for key, s := range all {
		if err := c.stop(ctx, key, s); err != nil {
			errs = append(errs, fmt.Errorf("stop pod %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// Serving returns what is served now: "podIP:port" → "namespace/name".
func (c *Controller) Serving() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]string{}
	for key, s := range c.pods {
		for _, srv := range s.servers {
			m[srv.Addr().String()] = key
		}
	}
	return m
}

// Stats returns every server's counters: "podIP:port" → Stats.
func (c *Controller) Stats() map[string]Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]Stats{}
	for _, s := range c.pods {
		for _, srv := range s.servers {
			m[srv.Addr().String()] = srv.Stats()
		}
	}
	return m
}
