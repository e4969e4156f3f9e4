package kube

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Client holds the clients of one cluster.
type Client struct {
	// Config is the configuration the clients were made from.
	Config *rest.Config
	// Typed is the clientset of the built-in kinds.
	Typed kubernetes.Interface
	// Dynamic reads and writes any kind.
	Dynamic dynamic.Interface
	// Mapper maps kinds to resources through discovery, cached in memory;
	// Reset it after a new kind appears (Apply does so on a no-match).
	Mapper *restmapper.DeferredDiscoveryRESTMapper
}

// NewClient makes the clients of the cluster cfg points at. It makes no
// request.
func NewClient(cfg *rest.Config) (*Client, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.UserAgent == "" {
		cfg.UserAgent = "shipgate"
	}
	// Applying and watching many objects at once should not queue behind
	// client-go's default of 5 requests per second.
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	return &Client{
		Config:  cfg,
		Typed:   typed,
		Dynamic: dyn,
		Mapper:  restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)),
	}, nil
}

// mapping returns the REST mapping of a kind; on a no-match it resets the
// discovery cache and tries once more, since the kind may have just been
// added by a CustomResourceDefinition.
func (c *Client) mapping(id ID, version string) (*meta.RESTMapping, error) {
	m, err := c.Mapper.RESTMapping(id.GroupKind(), version)
	if meta.IsNoMatchError(err) {
		c.Mapper.Reset()
		m, err = c.Mapper.RESTMapping(id.GroupKind(), version)
	}
	return m, err
}
