package localcluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// Deadlines of Start's waits. Generous: several clusters starting at once on
// two cores under -race take a few times the ~4 s of one.
const (
	etcdTimeout      = 30 * time.Second
	apiServerTimeout = 90 * time.Second
	saTimeout        = 60 * time.Second
)

// portAttempts is how many sets of ports Start tries when a component finds
// one taken.
const portAttempts = 3

// Cluster is a running control plane. Its methods are safe for concurrent
// use.
type Cluster struct {
	// Kubeconfig is the path of a kubeconfig file (mode 0600) for an admin
	// user (group system:masters) with a static token.
	Kubeconfig string
	// Config is the same credentials for client-go (50 QPS, burst 100).
	// Copy it (rest.CopyConfig) before changing it.
	Config *rest.Config
	// Dir holds certificates, etcd's data and the logs
	// (Dir/logs/<component>.log).
	Dir string
	// Version is the Kubernetes version running.
	Version string

	s         *settings
	l         *layout
	cs        kubernetes.Interface
	removeDir bool

	mu      sync.Mutex
	procs   map[string]*process
	stopped bool
	stopErr error
}

// Start runs etcd, kube-apiserver, kube-controller-manager, kube-scheduler
// and kwok, and returns once the API accepts pods: /readyz answers ok and
// the default ServiceAccount exists. The cluster has no nodes; see AddNode.
//
// ctx bounds only the start-up: the processes run until Stop (or until the
// calling process dies). On error nothing is left running.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	s, err := opts.resolve(os.Getenv)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	c := &Cluster{Version: s.Version, s: s, procs: map[string]*process{}}
	if s.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "shipgate-cluster-"); err != nil {
			return nil, fmt.Errorf("start local cluster: %w", err)
		}
		c.removeDir = !s.KeepDir
	} else {
		c.Dir = s.Dir
	}
	if err := c.start(ctx); err != nil {
		if stopErr := c.Stop(); stopErr != nil {
			s.Logf("localcluster: clean up after failed start: %v", stopErr)
		}
		return nil, fmt.Errorf("start local cluster in %s: %w", c.Dir, err)
	}
	s.Logf("localcluster: Kubernetes %s ready at %s in %s (dir %s)", c.Version, c.Config.Host, time.Since(began).Round(time.Millisecond), c.Dir)
	return c, nil
}

// start runs the steps of Start in order.
func (c *Cluster) start(ctx context.Context) error {
	// Files: logs, certificates and keys, kwok's Stages.
	c.l = &layout{dir: c.Dir, kubeconfig: filepath.Join(c.Dir, "kubeconfig"), kwokConfig: filepath.Join(c.Dir, "kwok.yaml")}
	c.Kubeconfig = c.l.kubeconfig
	if err := os.MkdirAll(filepath.Join(c.Dir, "logs"), 0o700); err != nil {
		return err
	}
	var err error
	if c.l.pki, err = writePKI(filepath.Join(c.Dir, "pki")); err != nil {
		return fmt.Errorf("write certificates: %w", err)
	}
	if err := os.WriteFile(c.l.kwokConfig, c.s.stages, 0o600); err != nil {
		return err
	}

	// etcd and kube-apiserver on fresh ports, again if one was taken.
	for attempt := 1; ; attempt++ {
		err = c.startStorageAndAPI(ctx)
		if err == nil {
			break
		}
		if !addrInUse(err) || attempt == portAttempts {
			return err
		}
		c.s.Logf("localcluster: a port was taken, trying new ports: %v", err)
		_ = c.stopAll(KubeAPIServer, Etcd) // they failed: nothing to add
	}
	c.Config = restConfig(c.l)
	if c.cs, err = kubernetes.NewForConfig(c.Config); err != nil {
		return err
	}
	if err := c.checkVersion(); err != nil {
		return err
	}

	// Controllers, scheduler and the fake kubelets.
	for _, comp := range []struct {
		name string
		args []string
	}{
		{KubeControllerManager, controllerManagerArgs(c.l)},
		{KubeScheduler, schedulerArgs(c.l)},
		{Kwok, kwokArgs(c.l, c.s.PodCIDR)},
	} {
		if err := c.startComponent(comp.name, comp.args); err != nil {
			return err
		}
	}

	// The ServiceAccount admission plugin refuses pods until the
	// controller-manager has made the namespace's default ServiceAccount.
	lw := cache.NewListWatchFromClient(c.cs.CoreV1().RESTClient(), "serviceaccounts", corev1.NamespaceDefault,
		fields.OneTermEqualSelector("metadata.name", "default"))
	return waitObject(ctx, "the default ServiceAccount in namespace default (made by kube-controller-manager)", saTimeout,
		lw, &corev1.ServiceAccount{}, func(runtime.Object) (bool, string) { return true, "exists" },
		c.proc(KubeControllerManager), c.proc(KubeAPIServer))
}

// startStorageAndAPI starts etcd and kube-apiserver on new ports and waits
// until both answer their health checks.
func (c *Cluster) startStorageAndAPI(ctx context.Context) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	c.l.etcdPort, c.l.peerPort, c.l.apiPort = ports[0], ports[1], ports[2]
	// A previous attempt's data names other peer ports.
	if err := os.RemoveAll(filepath.Join(c.Dir, "etcd")); err != nil {
		return err
	}
	if err := writeKubeconfig(c.l); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}

	if err := c.startComponent(Etcd, etcdArgs(c.l)); err != nil {
		return err
	}
	if err := waitHTTP(ctx, http.DefaultClient, c.l.etcdURL()+"/health", `"health":"true"`,
		"etcd to report healthy at "+c.l.etcdURL()+"/health", etcdTimeout, c.proc(Etcd)); err != nil {
		return err
	}
	c.s.Logf("localcluster: etcd healthy on %s", c.l.etcdURL())

	if err := c.startComponent(KubeAPIServer, apiServerArgs(c.l)); err != nil {
		return err
	}
	return c.waitAPIServer(ctx)
}

// waitAPIServer waits until kube-apiserver's /readyz answers ok: etcd
// reachable, informers synced, bootstrap RBAC and priority levels written.
func (c *Cluster) waitAPIServer(ctx context.Context) error {
	rt, err := rest.TransportFor(restConfig(c.l))
	if err != nil {
		return err
	}
	client := &http.Client{Transport: rt, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	if err := waitHTTP(ctx, client, c.l.apiURL()+"/readyz", "ok", "kube-apiserver /readyz at "+c.l.apiURL(),
		apiServerTimeout, c.proc(KubeAPIServer), c.proc(Etcd)); err != nil {
		return err
	}
	c.s.Logf("localcluster: kube-apiserver ready on %s", c.l.apiURL())
	return nil
}

// checkVersion makes sure the binaries are the version asked for.
func (c *Cluster) checkVersion() error {
	v, err := c.cs.Discovery().ServerVersion()
	if err != nil {
		return fmt.Errorf("read the apiserver's version: %w", err)
	}
	if v.GitVersion != c.Version {
		return fmt.Errorf("kube-apiserver in %s is %s, not %s: rebuild with `K8S_VERSION=%s bash .ci/build-k8s.sh`",
			c.s.BinDir, v.GitVersion, c.Version, c.Version)
	}
	return nil
}

// startComponent starts one binary and records it for Stop.
func (c *Cluster) startComponent(name string, args []string) error {
	p, err := startProcess(name, c.s.bins[name], args, c.l.env(), c.l.logPath(name), func(p *process) {
		c.s.Logf("localcluster: %v", p.exitError("exited unexpectedly"))
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	stopped := c.stopped
	if !stopped {
		c.procs[name] = p
	}
	c.mu.Unlock()
	if stopped { // Stop ran meanwhile (RestartAPIServer racing it)
		_ = p.stop()
		return fmt.Errorf("start %s: the cluster was stopped", name)
	}
	return nil
}

// proc returns the running process of a component, or nil.
func (c *Cluster) proc(name string) *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[name]
}

// RestartAPIServer stops kube-apiserver (SIGTERM) and starts it again on the
// same port with the same certificates, as a control-plane upgrade or crash
// would; open watches end, and clients reconnect to the same address. It
// returns when /readyz answers ok again. The new apiserver's watch cache
// starts at etcd's current revision: a watch resumed from an older
// resourceVersion gets 410 Expired and must relist (informers do).
func (c *Cluster) RestartAPIServer(ctx context.Context) error {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return errors.New("restart kube-apiserver: the cluster is stopped")
	}
	old := c.procs[KubeAPIServer]
	c.mu.Unlock()
	if err := old.stop(); err != nil {
		return fmt.Errorf("restart kube-apiserver: %w", err)
	}
	c.s.Logf("localcluster: kube-apiserver stopped; starting it again on %s", c.l.apiURL())
	if err := c.startComponent(KubeAPIServer, apiServerArgs(c.l)); err != nil {
		return fmt.Errorf("restart kube-apiserver: %w", err)
	}
	if err := c.waitAPIServer(ctx); err != nil {
		return fmt.Errorf("restart kube-apiserver: %w", err)
	}
	return nil
}

// Stop stops every component (SIGTERM, then SIGKILL after 10 s): kwok, the
// scheduler and the controller-manager first, then kube-apiserver, then
// etcd. It removes Dir if Start made it and Options.KeepDir is false. It
// reports components that had died before it was called. Calling it again
// returns the first call's result.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return c.stopErr
	}
	c.stopped = true
	c.mu.Unlock()

	errs := []error{
		c.stopAll(Kwok, KubeScheduler, KubeControllerManager),
		c.stopAll(KubeAPIServer),
		c.stopAll(Etcd),
	}
	if c.removeDir {
		errs = append(errs, os.RemoveAll(c.Dir))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopErr = errors.Join(errs...)
	return c.stopErr
}

// stopAll stops the named components at once and forgets them.
func (c *Cluster) stopAll(names ...string) error {
	c.mu.Lock()
	var procs []*process
	for _, n := range names {
		if p := c.procs[n]; p != nil {
			procs = append(procs, p)
			delete(c.procs, n)
		}
	}
	c.mu.Unlock()
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() { errs[i] = p.stop() })
	}
	wg.Wait()
	return errors.Join(errs...)
}
