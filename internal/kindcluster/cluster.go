package kindcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"k8s.io/client-go/rest"
)

// Cluster is a kind cluster Create made.
type Cluster struct {
	// Name is the kind cluster's name.
	Name string
	// NodeImage is the image of the nodes that did not name their own.
	NodeImage string
	// ExternalKubeconfigPath is a kubeconfig (mode 0600) whose server is the
	// API server published on the docker host's loopback, for later steps
	// on the host. It lies in Options.Workspace/.shipgate/.
	ExternalKubeconfigPath string
	// InternalKubeconfigPath, set only in a container, is a kubeconfig (mode
	// 0600) whose server is the control plane's address on kind's network.
	InternalKubeconfigPath string
	// KubeconfigPath is the kubeconfig this process uses: the internal one
	// in a container, else the external one.
	KubeconfigPath string
	// RestConfig is made from KubeconfigPath's kubeconfig.
	RestConfig *rest.Config

	provider Provider
	logf     func(string, ...any)

	mu      sync.Mutex
	deleted bool
}

// Attach returns a handle on the cluster name that Create made, perhaps in
// another process (the action's post step), for Delete, ExportLogs and
// LoadImage. It makes no call; of o it uses Workspace (to find the
// kubeconfig files Create wrote), Provider and Logf.
func Attach(name string, o Options) (*Cluster, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Provider == nil {
		o.Provider = NewKindProvider(o.Logf)
	}
	c := &Cluster{Name: name, provider: o.Provider, logf: o.Logf}
	if o.Workspace != "" {
		dir := filepath.Join(o.Workspace, ".shipgate")
		c.ExternalKubeconfigPath = filepath.Join(dir, name+".kubeconfig")
		c.InternalKubeconfigPath = filepath.Join(dir, name+"-internal.kubeconfig")
	}
	return c, nil
}

// LoadImage loads the image archive at path (docker save's format) into
// every node of the cluster, all at once; errors name the nodes that failed.
func (c *Cluster) LoadImage(ctx context.Context, path string) error {
	if err := checkArchive(path); err != nil {
		return err
	}
	ctx, cancel := bounded(ctx, loadTimeout, "load the image archive")
	defer cancel()
	nodes, err := await(ctx, "kind to list the nodes of cluster "+c.Name, func() ([]string, error) {
		return c.provider.Nodes(c.Name)
	}, nil)
	if err != nil {
		return fmt.Errorf("load %s: list nodes: %w", path, err)
	}
	if len(nodes) == 0 {
		return fmt.Errorf("load %s: cluster %s has no nodes", path, c.Name)
	}
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, node := range nodes {
		wg.Go(func() {
			errs[i] = awaitErr(ctx, fmt.Sprintf("kind to load %s into node %s", filepath.Base(path), node), func() error {
				f, err := os.Open(path)
				if err != nil {
					return err
				}
				defer f.Close()
				return c.provider.LoadImage(c.Name, node, f)
			}, nil)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("node %s: %w", node, errs[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	c.logf("loaded %s into %d node(s) of cluster %s", filepath.Base(path), len(nodes), c.Name)
	return nil
}

// ExportLogs writes the cluster's logs under dir, as kind export logs does.
func (c *Cluster) ExportLogs(ctx context.Context, dir string) error {
	ctx, cancel := bounded(ctx, logsTimeout, "export the cluster's logs")
	defer cancel()
	err := awaitErr(ctx, fmt.Sprintf("kind to export the logs of cluster %s to %s", c.Name, dir), func() error {
		return c.provider.CollectLogs(c.Name, dir)
	}, nil)
	if err != nil {
		return fmt.Errorf("export logs of cluster %s: %w", c.Name, err)
	}
	return nil
}

// Delete deletes the cluster and the kubeconfig files Create wrote. It is
// idempotent: a cluster already gone is not an error.
func (c *Cluster) Delete(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deleted {
		return nil
	}
	ctx, cancel := bounded(ctx, deleteTimeout, "delete the cluster")
	defer cancel()
	if err := c.deleteNodes(ctx); err != nil {
		return err
	}
	if err := c.removeKubeconfigs(); err != nil {
		return fmt.Errorf("delete cluster %s: %w", c.Name, err)
	}
	c.deleted = true
	c.logf("deleted kind cluster %s", c.Name)
	return nil
}

// deleteNodes runs kind's delete under ctx.
func (c *Cluster) deleteNodes(ctx context.Context) error {
	err := awaitErr(ctx, "kind to delete cluster "+c.Name, func() error {
		return c.provider.Delete(c.Name, c.ExternalKubeconfigPath)
	}, nil)
	if err != nil {
		return fmt.Errorf("delete cluster %s: %w", c.Name, err)
	}
	return nil
}

// removeKubeconfigs removes the kubeconfig files Create wrote, if any.
func (c *Cluster) removeKubeconfigs() error {
	var errs []error
	for _, p := range []string{c.ExternalKubeconfigPath, c.InternalKubeconfigPath} {
		if err := os.Remove(p); p != "" && err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
