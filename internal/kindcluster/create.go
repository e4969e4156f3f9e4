package kindcluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
)

// attempts is how often Create boots a cluster: a boot that fails on a busy
// runner (kind's fixed systemd deadline) is retried once.
const attempts = 2

// Create checks o, then creates a kind cluster, makes it reachable from this
// process, and loads o.ArchivePath into its nodes. Everything is bounded by
// o.Timeout. A failed boot has its logs exported (with o.ReportDir), is
// deleted and is retried once; a later failure exports the logs and deletes
// the cluster, unless o.KeepOnFailure.
func Create(ctx context.Context, o Options) (*Cluster, error) {
	p, err := o.plan()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, p.Timeout,
		fmt.Errorf("the %s timeout for creating kind cluster %s ran out", p.Timeout, p.Name))
	defer cancel()
	c, err := Attach(p.Name, p.Options)
	if err != nil {
		return nil, err
	}
	c.NodeImage = p.image
	if !p.InContainer {
		c.InternalKubeconfigPath = ""
	}
	// Refuse a name in use: cleaning up after a failure would delete a
	// cluster that is not ours.
	nodes, err := await(ctx, "kind to list the nodes of cluster "+c.Name, func() ([]string, error) {
		return c.provider.Nodes(c.Name)
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("create kind cluster %s: %w", c.Name, err)
	}
	if len(nodes) > 0 {
		return nil, fmt.Errorf("create kind cluster %s: a cluster of that name exists (nodes %v); delete it or choose another name", c.Name, nodes)
	}
	c.logf("creating kind cluster %s with node image %s", c.Name, c.NodeImage)
	if err := c.boot(ctx, p); err != nil {
		return nil, fmt.Errorf("create kind cluster %s: %w", c.Name, err)
	}
	steps := []func(context.Context) error{
		// Write the kubeconfigs; in a container, join kind's network.
		func(ctx context.Context) error { return c.connect(ctx, p) },
		// Load the pull request's image into every node.
		func(ctx context.Context) error {
			if p.ArchivePath == "" {
				return nil
			}
			return c.LoadImage(ctx, p.ArchivePath)
		},
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("create kind cluster %s: %w", c.Name, c.fail(ctx, p, "", err))
		}
	}
	return c, nil
}

// boot creates the cluster, and after a failure exports its logs, deletes
// what was made and tries once more. A deadline is not retried: the call
// still running is deleted once it returns.
func (c *Cluster) boot(ctx context.Context, p plan) error {
	opts := CreateOptions{Config: p.config, WaitForReady: p.WaitForReady, KubeconfigPath: c.ExternalKubeconfigPath}
	var errs []error
	for attempt := 1; attempt <= attempts; attempt++ {
		err := awaitErr(ctx, "kind to create cluster "+c.Name, func() error {
			return c.provider.Create(c.Name, opts)
		}, func(err error) { c.cleanUpAbandoned(ctx, p, err) })
		if err == nil {
			if attempt > 1 {
				c.logf("kind cluster %s came up on attempt %d after: %v", c.Name, attempt, errors.Join(errs...))
			}
			return nil
		}
		err = fmt.Errorf("attempt %d of %d: %w", attempt, attempts, err)
		if ctx.Err() != nil {
			return errors.Join(append(errs, err)...)
		}
		c.logf("kind cluster %s did not come up: %v", c.Name, err)
		err = c.fail(ctx, p, fmt.Sprintf("attempt-%d", attempt), err)
		errs = append(errs, err)
		if p.KeepOnFailure || !errors.Is(err, errDeleted) {
			break
		}
		if attempt < attempts {
			c.logf("trying once more to create kind cluster %s", c.Name)
		}
	}
	return errors.Join(errs...)
}

// errDeleted marks an error after which the failed cluster was deleted.
var errDeleted = errors.New("the cluster was deleted")

// fail handles a failure of the cluster: it exports the logs into
// ReportDir/kind-logs/<name>[/sub] and deletes the cluster unless
// KeepOnFailure. The error returned says what happened to the cluster.
func (c *Cluster) fail(ctx context.Context, p plan, sub string, cause error) error {
	// The cleanup gets its own time when Create's has run out.
	ctx, cancel := bounded(context.WithoutCancel(ctx), logsTimeout+deleteTimeout, "clean up after a failure")
	defer cancel()
	errs := []error{cause}
	if p.ReportDir != "" {
		dir := filepath.Join(p.ReportDir, "kind-logs", c.Name, sub)
		if err := c.ExportLogs(ctx, dir); err != nil {
			c.logf("%v", err)
		} else {
			c.logf("exported the logs of kind cluster %s to %s", c.Name, dir)
		}
	}
	if p.KeepOnFailure {
		return fmt.Errorf("%w (kept cluster %s for debugging; delete it with kind delete cluster --name %s)", cause, c.Name, c.Name)
	}
	dctx, dcancel := bounded(ctx, deleteTimeout, "delete the failed cluster")
	defer dcancel()
	if err := c.deleteNodes(dctx); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if err := c.removeKubeconfigs(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	return fmt.Errorf("%w (%w)", cause, errDeleted)
}

// cleanUpAbandoned deletes the cluster that a create abandoned at the
// deadline was making, once that create has returned.
func (c *Cluster) cleanUpAbandoned(ctx context.Context, p plan, err error) {
	if p.KeepOnFailure {
		c.logf("the abandoned create of kind cluster %s returned (%v); kept for debugging", c.Name, err)
		return
	}
	ctx, cancel := bounded(context.WithoutCancel(ctx), deleteTimeout, "delete the abandoned cluster")
	defer cancel()
	if derr := c.deleteNodes(ctx); derr != nil {
		c.logf("the abandoned create of kind cluster %s returned (%v); %v", c.Name, err, derr)
		return
	}
	c.logf("the abandoned create of kind cluster %s returned (%v); deleted it", c.Name, err)
}
