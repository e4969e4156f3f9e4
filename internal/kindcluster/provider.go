package kindcluster

import (
	"fmt"
	"io"
	"strings"
	"time"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindlog "sigs.k8s.io/kind/pkg/log"
)

// Provider is the part of kind this package uses. Like kind, it takes no
// context: callers bound each call with their own deadline.
type Provider interface {
	// Create boots the cluster name and returns when it is ready or failed;
	// on failure it leaves the nodes for Delete (and CollectLogs).
	Create(name string, opts CreateOptions) error
	// Delete removes the cluster's nodes and its entries in kubeconfigPath;
	// a cluster that is gone is not an error.
	Delete(name, kubeconfigPath string) error
	// KubeConfig returns the cluster's kubeconfig: with internal, its
	// server is the control plane's address on kind's docker network;
	// otherwise the host's loopback.
	KubeConfig(name string, internal bool) (string, error)
	// Nodes names the cluster's Kubernetes nodes (not its load balancer);
	// none when the cluster does not exist.
	Nodes(name string) ([]string, error)
	// LoadImage imports an image archive (docker save's format) into node.
	LoadImage(name, node string, archive io.Reader) error
	// CollectLogs writes the cluster's logs under dir, as kind export logs.
	CollectLogs(name, dir string) error
}

// CreateOptions are what Provider.Create needs beyond the name.
type CreateOptions struct {
	// Config is the cluster's kind config with every node's image set.
	Config *v1alpha4.Cluster
	// WaitForReady is how long kind waits for the control plane to be Ready.
	WaitForReady time.Duration
	// KubeconfigPath is where kind writes the external kubeconfig, instead of
	// $KUBECONFIG or ~/.kube/config.
	KubeconfigPath string
}

// KindProvider is Provider over the kind library with docker nodes.
type KindProvider struct {
	p *cluster.Provider
}

// NewKindProvider returns a Provider that runs kind with docker, logging
// kind's progress through logf (nil: no logging).
func NewKindProvider(logf func(string, ...any)) *KindProvider {
	opts := []cluster.ProviderOption{cluster.ProviderWithDocker()}
	if logf != nil {
		opts = append(opts, cluster.ProviderWithLogger(kindLogger{logf: logf}))
	}
	return &KindProvider{p: cluster.NewProvider(opts...)}
}

// Create runs kind's create with Retain set, so that a failed cluster's
// logs can be collected before it is deleted.
func (k *KindProvider) Create(name string, o CreateOptions) error {
	return k.p.Create(name,
		cluster.CreateWithV1Alpha4Config(o.Config),
		cluster.CreateWithWaitForReady(o.WaitForReady),
		cluster.CreateWithKubeconfigPath(o.KubeconfigPath),
		cluster.CreateWithRetain(true),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	)
}

// Delete runs kind's delete.
func (k *KindProvider) Delete(name, kubeconfigPath string) error {
	return k.p.Delete(name, kubeconfigPath)
}

// KubeConfig returns kind's kubeconfig of the cluster.
func (k *KindProvider) KubeConfig(name string, internal bool) (string, error) {
	return k.p.KubeConfig(name, internal)
}

// Nodes lists the cluster's internal nodes.
func (k *KindProvider) Nodes(name string) ([]string, error) {
	ns, err := k.p.ListInternalNodes(name)
	if err != nil {
		return nil, err
	}
	return nodeNames(ns), nil
}

// LoadImage imports archive into the node with nodeutils.LoadImageArchive.
func (k *KindProvider) LoadImage(name, node string, archive io.Reader) error {
	ns, err := k.p.ListInternalNodes(name)
	if err != nil {
		return err
	}
	for _, n := range ns {
		if n.String() == node {
			return nodeutils.LoadImageArchive(n, archive)
		}
	}
	return fmt.Errorf("cluster %s has no node %s (it has %s)", name, node, strings.Join(nodeNames(ns), ", "))
}

// CollectLogs runs kind's export logs.
func (k *KindProvider) CollectLogs(name, dir string) error {
	return k.p.CollectLogs(name, dir)
}

func nodeNames(ns []nodes.Node) []string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = n.String()
	}
	return s
}

// kindLogger passes kind's user-facing messages (verbosity 0, warnings and
// errors) to a Logf function and drops its debug output.
type kindLogger struct{ logf func(string, ...any) }

func (l kindLogger) Warn(m string)                        { l.logf("kind: warning: %s", clean(m)) }
func (l kindLogger) Warnf(f string, a ...any)             { l.Warn(fmt.Sprintf(f, a...)) }
func (l kindLogger) Error(m string)                       { l.logf("kind: error: %s", clean(m)) }
func (l kindLogger) Errorf(f string, a ...any)            { l.Error(fmt.Sprintf(f, a...)) }
func (l kindLogger) V(v kindlog.Level) kindlog.InfoLogger { return infoLogger{l: l, on: v == 0} }

type infoLogger struct {
	l  kindLogger
	on bool
}

func (i infoLogger) Info(m string) {
	if i.on && clean(m) != "" {
		i.l.logf("kind: %s", clean(m))
	}
}
func (i infoLogger) Infof(f string, a ...any) { i.Info(fmt.Sprintf(f, a...)) }
func (i infoLogger) Enabled() bool            { return i.on }

func clean(m string) string { return strings.TrimSpace(m) }
