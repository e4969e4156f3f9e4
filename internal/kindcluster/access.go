package kindcluster

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// reachTimeout bounds the wait for the API server to answer this process.
const reachTimeout = 30 * time.Second

// connect writes the external kubeconfig for the host; in a container it
// also joins kind's docker network and writes the internal kubeconfig,
// which this process then uses. It returns once the API server answers
// /readyz through the kubeconfig this process uses.
func (c *Cluster) connect(ctx context.Context, p plan) error {
	ext, err := c.kubeconfig(ctx, false)
	if err != nil {
		return err
	}
	if err := writePrivate(c.ExternalKubeconfigPath, ext); err != nil {
		return fmt.Errorf("write the external kubeconfig: %w", err)
	}
	own, ownPath := ext, c.ExternalKubeconfigPath
	if p.InContainer {
		if err := connectNetwork(ctx, p.Runner, p.containerID); err != nil {
			return err
		}
		c.logf("connected container %s to docker network %s", p.containerID, DockerNetwork)
		in, err := c.kubeconfig(ctx, true)
		if err != nil {
			return err
		}
		if err := writePrivate(c.InternalKubeconfigPath, in); err != nil {
			return fmt.Errorf("write the internal kubeconfig: %w", err)
		}
		own, ownPath = in, c.InternalKubeconfigPath
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(own))
	if err != nil {
		return fmt.Errorf("read the kubeconfig of cluster %s: %w", c.Name, err)
	}
	c.RestConfig, c.KubeconfigPath = cfg, ownPath
	return waitReachable(ctx, cfg, p.InContainer)
}

// kubeconfig asks kind for the cluster's internal or external kubeconfig.
func (c *Cluster) kubeconfig(ctx context.Context, internal bool) (string, error) {
	which := map[bool]string{true: "internal", false: "external"}[internal]
	s, err := await(ctx, fmt.Sprintf("kind to return the %s kubeconfig of cluster %s", which, c.Name), func() (string, error) {
		return c.provider.KubeConfig(c.Name, internal)
	}, nil)
	if err != nil {
		return "", fmt.Errorf("get the %s kubeconfig: %w", which, err)
	}
	return s, nil
}

// writePrivate writes data to path with mode 0600, replacing any file there
// at once, and creates path's directory with mode 0700 if need be.
func writePrivate(path, data string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// waitReachable waits until the API server answers GET /readyz with 200,
// asking every half second, for at most reachTimeout.
func waitReachable(ctx context.Context, cfg *rest.Config, inContainer bool) error {
	ctx, cancel := bounded(ctx, reachTimeout, "reach the API server")
	defer cancel()
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	start := time.Now()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		err := readyz(ctx, hc, cfg.Host)
		if err == nil {
			return nil
		}
		// A request cut off by the deadline says less than the answer before.
		if last == nil || ctx.Err() == nil {
			last = err
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			hint := ""
			if inContainer {
				hint = fmt.Sprintf("; is this container on docker network %s?", DockerNetwork)
			}
			return fmt.Errorf("waited %s for the API server at %s to answer /readyz: %w (%v)%s",
				time.Since(start).Round(time.Millisecond), cfg.Host, last, context.Cause(ctx), hint)
		}
	}
}

func readyz(ctx context.Context, hc *http.Client, host string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, host+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}
